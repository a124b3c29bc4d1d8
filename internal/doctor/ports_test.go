package doctor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"testing"

	"github.com/left4me/left4me/internal/overlay"
)

// runInstance makes a running instance for the port check: its unit is
// active and its instance.env names its game port.
func runInstance(t *testing.T, d *Doctor, name string, port int) {
	t.Helper()
	if err := os.MkdirAll(d.Config.Root.Instance(name), 0o750); err != nil {
		t.Fatal(err)
	}
	env := overlay.Env{LowerDirs: []string{d.Config.Root.Installation("g")}, Port: port}
	if err := overlay.WriteEnvFile(d.Config.Root.InstanceEnv(name), env, -1, -1); err != nil {
		t.Fatal(err)
	}
	f := d.Units.(*fakeUnits)
	f.active = append(f.active, "left4me-server@"+name+".service")
}

func TestCheckPorts(t *testing.T) {
	for _, tc := range []struct {
		name    string
		running map[string]int
		socks   []Socket
		want    Status
		words   []string
	}{
		{"all free", nil, []Socket{{"tcp", 22, "1 sshd"}, {"udp", 28000, "2 left4me"}}, OK, []string{"27015-27030: 16 free, 0 held by 0 running"}},
		{"instances only", map[string]int{"a": 27015}, []Socket{
			{"udp", 27015, ""}, {"tcp", 27015, ""}, // seen without owner: the game port from instance.env
			{"udp", 27020, "left4me-server@a.service"}, // seen as root: its SourceTV port
		}, OK, []string{"14 free, 2 held by 1 running"}},
		{"another program", map[string]int{"a": 27015}, []Socket{{"udp", 27015, ""}, {"udp", 27016, "812 named"}, {"tcp", 27016, "812 named"}}, Warn,
			[]string{"taken by other programs: 27016 (udp 812 named, tcp 812 named)", "LEFT4ME_PORT_RANGE_START/END"}},
		{"unknown while instances run", map[string]int{"a": 27015}, []Socket{{"udp", 27015, ""}, {"udp", 27005, ""}, {"udp", 27021, ""}}, Warn,
			[]string{"1 more in use by processes this user cannot see", "27021", "run the doctor as root"}},
		{"unknown, nothing running", nil, []Socket{{"udp", 27016, ""}}, Warn, []string{"27016 (udp unknown program)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDoctor(t)
			d.Units = &fakeUnits{}
			for name, port := range tc.running {
				runInstance(t, d, name, port)
			}
			d.Sockets = fakeSockets{socks: tc.socks}
			expect(t, d.CheckPorts(context.Background()), "ports", tc.want, tc.words...)
		})
	}
	t.Run("no socket list", func(t *testing.T) {
		d := newDoctor(t)
		d.Sockets = fakeSockets{err: errors.New("no /proc")}
		expect(t, d.CheckPorts(context.Background()), "ports", Warn, "no /proc")
	})
}

const procNetUDP = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  100: 00000000:6987 00000000:0000 07 00000000:00000000 00:00000000 00000000   999        0 41001 2 0000000000000000 0
  101: 0100007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000   101        0 41002 2 0000000000000000 0
`

const procNetTCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:6987 00000000:0000 0A 00000000:00000000 00:00000000 00000000   999        0 42001 1 0000000000000000 100 0 0 10 0
   1: 0100007F:1F40 0100007F:9C40 01 00000000:00000000 00:00000000 00000000   999        0 42002 1 0000000000000000 20 4 30 10 -1
`

func TestParseProcNet(t *testing.T) {
	udp := parseProcNet(procNetUDP, "udp")
	if len(udp) != 2 || udp[0] != (procNetSocket{27015, "41001"}) || udp[1] != (procNetSocket{53, "41002"}) {
		t.Errorf("udp = %v", udp)
	}
	tcp := parseProcNet(procNetTCP, "tcp")
	if len(tcp) != 1 || tcp[0] != (procNetSocket{27015, "42001"}) {
		t.Errorf("tcp = %v (only the listening socket)", tcp)
	}
}

// TestProcSocketsSeesOwnSocket: the real lister finds a UDP socket this
// process bound, and names this process as its holder.
func TestProcSocketsSeesOwnSocket(t *testing.T) {
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	port := c.LocalAddr().(*net.UDPAddr).Port
	socks, err := ProcSockets{}.Bound(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(socks, func(s Socket) bool { return s.Proto == "udp" && s.Port == port })
	if i < 0 {
		t.Fatalf("UDP port %d not among %d sockets", port, len(socks))
	}
	if want := fmt.Sprint(os.Getpid()) + " "; len(socks[i].Owner) < len(want) || socks[i].Owner[:len(want)] != want {
		t.Errorf("owner = %q, want this process (%d)", socks[i].Owner, os.Getpid())
	}
}

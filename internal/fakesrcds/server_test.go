package fakesrcds

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func install(t *testing.T, cfgs map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	if err := WriteInstallation(dir, ""); err != nil {
		t.Fatal(err)
	}
	for name, text := range cfgs {
		if err := os.WriteFile(filepath.Join(dir, "left4dead2", "cfg", name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func start(t *testing.T, dir string, out io.Writer, args ...string) *Server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s, err := Start(ctx, Config{Dir: dir, Stdout: out, Args: append([]string{"+ip", "127.0.0.1", "+hostport", "0"}, args...)})
	if err != nil {
		cancel()
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { cancel(); s.Wait() })
	return s
}

// rconConn is a raw RCON connection for checking the wire sequence.
type rconConn struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func dialRaw(t *testing.T, s *Server) *rconConn {
	c, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	return &rconConn{t: t, c: c, r: bufio.NewReader(c)}
}

func (r *rconConn) send(id, typ int32, body string) {
	r.t.Helper()
	if _, err := r.c.Write(encodeRCONPacket(id, typ, body)); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rconConn) expect(id, typ int32, body string) {
	r.t.Helper()
	p, err := readRCONPacket(r.r)
	if err != nil {
		r.t.Fatalf("read: %v", err)
	}
	if p.id != id || p.typ != typ || (body != "*" && p.body != body) {
		r.t.Fatalf("got packet {id %d type %d body %q}, want {id %d type %d body %q}", p.id, p.typ, p.body, id, typ, body)
	}
}

func (r *rconConn) expectClosed() {
	r.t.Helper()
	if _, err := readRCONPacket(r.r); !errors.Is(err, io.EOF) {
		r.t.Fatalf("connection not closed: %v", err)
	}
}

func TestRCONWireSequence(t *testing.T) {
	s := start(t, install(t, map[string]string{"server.cfg": "rcon_password pw\n"}), nil)

	t.Run("auth ok: empty RESPONSE_VALUE, then AUTH_RESPONSE with the id", func(t *testing.T) {
		r := dialRaw(t, s)
		r.send(42, rconAuth, "pw")
		r.expect(42, rconResponseValue, "")
		r.expect(42, rconAuthResponse, "")
		r.send(43, rconExecCommand, "echo hi")
		r.expect(43, rconResponseValue, "hi\n")
		// The end-marker trick: mirror, then the extra packet.
		r.send(44, rconResponseValue, "")
		r.expect(44, rconResponseValue, "")
		r.expect(44, rconResponseValue, "")
		// A command without output still gets one empty reply.
		r.send(45, rconExecCommand, "sv_cheats 0")
		r.expect(45, rconResponseValue, "")
	})
	t.Run("auth failure answers id -1 and keeps the connection", func(t *testing.T) {
		r := dialRaw(t, s)
		r.send(7, rconAuth, "nope")
		r.expect(7, rconResponseValue, "")
		r.expect(-1, rconAuthResponse, "")
		r.send(8, rconAuth, "pw")
		r.expect(8, rconResponseValue, "")
		r.expect(8, rconAuthResponse, "")
	})
	t.Run("command before auth closes", func(t *testing.T) {
		r := dialRaw(t, s)
		r.send(1, rconExecCommand, "status")
		r.expectClosed()
	})
	t.Run("oversized packet closes", func(t *testing.T) {
		r := dialRaw(t, s)
		r.c.Write([]byte{0xff, 0xff, 0x00, 0x00})
		r.expectClosed()
	})
	t.Run("repeated failures close", func(t *testing.T) {
		// Its own server: failures count per address, and the one above
		// already failed once from 127.0.0.1.
		s := start(t, install(t, map[string]string{"server.cfg": "rcon_password pw\n"}), nil)
		r := dialRaw(t, s)
		for i := range 5 {
			r.send(int32(i), rconAuth, "bad")
			r.expect(int32(i), rconResponseValue, "")
			r.expect(-1, rconAuthResponse, "")
		}
		r.expectClosed()
	})
	t.Run("long output is split at 4096 bytes", func(t *testing.T) {
		var cfg strings.Builder
		for i := range 300 {
			cfg.WriteString("zz_long_cvar_" + strings.Repeat("x", 20) + string(rune('a'+i%26)) + itoa3(i) + " 1\n")
		}
		s2 := start(t, install(t, map[string]string{"server.cfg": "rcon_password pw\n" + cfg.String()}), nil)
		r := dialRaw(t, s2)
		r.send(1, rconAuth, "pw")
		r.expect(1, rconResponseValue, "")
		r.expect(1, rconAuthResponse, "")
		r.send(2, rconExecCommand, "cvarlist zz_")
		r.send(3, rconResponseValue, "")
		var total, packets int
		for {
			p, err := readRCONPacket(r.r)
			if err != nil {
				t.Fatal(err)
			}
			if p.id == 3 {
				break
			}
			if len(p.body) > rconMaxBody {
				t.Fatalf("packet body of %d bytes", len(p.body))
			}
			total += len(p.body)
			packets++
		}
		if packets < 2 || total < 2*rconMaxBody {
			t.Errorf("%d bytes in %d packets; want a multi-packet reply", total, packets)
		}
	})
}

func itoa3(i int) string {
	return string([]byte{byte('0' + i/100%10), byte('0' + i/10%10), byte('0' + i%10)})
}

func TestConsoleLog(t *testing.T) {
	var out Console
	s := start(t, install(t, map[string]string{
		"server.cfg": "rcon_password pw\nexec missing\n",
	}), &out, "-tickrate", "60")
	r := dialRaw(t, s)
	r.send(1, rconAuth, "pw")
	r.expect(1, rconResponseValue, "")
	r.expect(1, rconAuthResponse, "")
	r.send(2, rconExecCommand, "status")
	r.expect(2, rconResponseValue, "*")
	r.send(3, rconExecCommand, "say hello")
	r.expect(3, rconResponseValue, "")
	for _, want := range []string{
		"Network: IP 127.0.0.1, mode MP, dedicated Yes, ports ",
		"Tickrate set to 60",
		"Host_NewGame on map c1m1_hotel",
		"Executing dedicated server config file server.cfg",
		"exec: couldn't exec missing.cfg",
		"Connection to Steam servers successful.",
		`rcon from "` + r.c.LocalAddr().String() + `": command "status"`,
		"Console: hello",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("console lacks %q:\n%s", want, out.String())
		}
	}
}

func TestCrashOnStart(t *testing.T) {
	for name, tc := range map[string]struct {
		cfg  string
		args []string
	}{
		"flag": {args: []string{"-fakecrash"}},
		"cfg":  {cfg: "fakesrcds_crash 1\n"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := install(t, map[string]string{"server.cfg": tc.cfg})
			_, err := Start(context.Background(), Config{Dir: dir, Args: append([]string{"+ip", "127.0.0.1", "+hostport", "0"}, tc.args...)})
			if !errors.Is(err, ErrCrash) {
				t.Fatalf("Start: %v, want ErrCrash", err)
			}
		})
	}
}

func TestStartNeedsGameDir(t *testing.T) {
	_, err := Start(context.Background(), Config{Dir: t.TempDir(), Args: []string{"+ip", "127.0.0.1", "+hostport", "0"}})
	if err == nil || !strings.Contains(err.Error(), "game directory") {
		t.Fatalf("Start without left4dead2/: %v", err)
	}
}

func TestQuitCommandStops(t *testing.T) {
	s := start(t, install(t, nil), nil)
	s.Exec("quit")
	select {
	case <-s.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("server still running after quit")
	}
}

func TestPlayersJoinOverTime(t *testing.T) {
	s := start(t, install(t, map[string]string{"server.cfg": "fakesrcds_join_interval 0.02\nfakesrcds_players 3\n"}), nil, "+maxplayers", "2")
	deadline := time.After(10 * time.Second)
	for {
		out := s.Exec("status")
		if strings.Contains(out, "players : 2 humans, 0 bots (2 max)") {
			break
		}
		select {
		case <-deadline:
			t.Fatalf("never reached 2 humans (maxplayers caps 3):\n%s", out)
		case <-time.After(10 * time.Millisecond):
		}
	}
	out := s.Exec("fakesrcds_players 0; status")
	if !strings.Contains(out, "players : 0 humans, 0 bots (2 max) (hibernating)") {
		t.Errorf("after fakesrcds_players 0:\n%s", out)
	}
}

func TestCommandLineCvarsYieldToServerCfg(t *testing.T) {
	// As with srcds, server.cfg runs after "+cvar" arguments and wins.
	s := start(t, install(t, map[string]string{"server.cfg": "hostname from_cfg\n"}), nil, "+hostname", "from_args", "+sv_tags", "args_only")
	if out := s.Exec("hostname"); !strings.HasPrefix(out, `"hostname" = "from_cfg"`) {
		t.Errorf("hostname: %q", out)
	}
	if out := s.Exec("sv_tags"); !strings.HasPrefix(out, `"sv_tags" = "args_only"`) {
		t.Errorf("sv_tags: %q", out)
	}
}

func TestLogAddressCommands(t *testing.T) {
	s := start(t, install(t, nil), nil)
	steps := []struct{ cmd, want string }{
		{"logaddress_list", "logaddress_list:  no addresses in the list\n"},
		{"logaddress_add 192.0.2.1:27500", "logaddress_add:  192.0.2.1:27500\n"},
		{"logaddress_add 192.0.2.1:27500", "logaddress_add:  192.0.2.1:27500 is already in the list\n"},
		{"logaddress_add nonsense", "logaddress_add:  unparseable address\n"},
		{"logaddress_add localhost:27501", "logaddress_add:  127.0.0.1:27501\n"},
		{"logaddress_del 127.0.0.1:27501", "logaddress_del:  127.0.0.1:27501\n"},
		{"logaddress_list", "logaddress_list: 1 entries\n192.0.2.1:27500\n"},
		{"logaddress_del 192.0.2.1:27500", "logaddress_del:  192.0.2.1:27500\n"},
		{"logaddress_del 192.0.2.1:27500", "logaddress_del:  address 192.0.2.1:27500 not found in the list\n"},
		{"log on", "Server logging enabled.\n"},
		{"log off", "Server logging disabled.\n"},
	}
	for _, st := range steps {
		if got := s.Exec(st.cmd); got != st.want {
			t.Errorf("%s: got %q, want %q", st.cmd, got, st.want)
		}
	}
}

func TestTakenPortMovesUnlessStrict(t *testing.T) {
	first := start(t, install(t, nil), nil)
	taken := strconv.Itoa(first.Port())
	var out Console
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	second, err := Start(ctx, Config{Dir: install(t, nil), Stdout: &out, Args: []string{"+ip", "127.0.0.1", "+hostport", taken}})
	if err != nil {
		t.Fatalf("Start on a taken port: %v", err)
	}
	defer func() { cancel(); second.Wait() }()
	if second.Port() == first.Port() || !strings.Contains(out.String(), "WARNING: UDP_OpenSocket: port: "+taken) {
		t.Errorf("second server on port %d (first %d):\n%s", second.Port(), first.Port(), out.String())
	}
	_, err = Start(ctx, Config{Dir: install(t, nil), Args: []string{"+ip", "127.0.0.1", "+hostport", taken, "-strictportbind"}})
	if err == nil {
		t.Fatal("-strictportbind started on a taken port")
	}
}

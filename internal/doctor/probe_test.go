package doctor

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/fakesrcds"
	"github.com/left4me/left4me/internal/hostaddr"
	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/srcds"
)

// consoleLog is a LogReader over a stand-in server's console.
type consoleLog struct {
	mu    sync.Mutex
	lines []string
	part  string
}

func (c *consoleLog) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.part += string(p)
	for {
		i := strings.IndexByte(c.part, '\n')
		if i < 0 {
			break
		}
		c.lines = append(c.lines, c.part[:i])
		c.part = c.part[i+1:]
	}
	return len(p), nil
}

func (c *consoleLog) Tail(_ context.Context, _ string, n int) ([]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	start := max(0, len(c.lines)-n)
	return append([]string(nil), c.lines[start:]...), nil
}

func (c *consoleLog) Follow(ctx context.Context, _ string, _ func(string)) error {
	<-ctx.Done()
	return ctx.Err()
}

// standIn is the instance service of the probe's tests: it keeps the
// instance's directories under a state root like the real one and runs a
// fakesrcds server in-process (bound to 0.0.0.0 like the unit's +ip).
type standIn struct {
	t       *testing.T
	root    layout.Root
	install string
	console *consoleLog

	startErr  error
	onStarted func()

	mu      sync.Mutex
	spec    instance.Spec
	port    int
	srv     *fakesrcds.Server
	state   instance.State
	deleted bool
}

const standInPassword = "probe-secret"

func newStandIn(t *testing.T) *standIn {
	t.Helper()
	root := layout.Root(filepath.Join(t.TempDir(), "state"))
	if err := root.Create(0o750); err != nil {
		t.Fatal(err)
	}
	install := root.Installation("000001-test")
	if err := fakesrcds.WriteInstallation(install, ""); err != nil {
		t.Fatal(err)
	}
	s := &standIn{t: t, root: root, install: install, console: &consoleLog{}, state: instance.Stopped}
	t.Cleanup(func() {
		if s.srv != nil {
			s.srv.Close()
		}
	})
	return s
}

// freePort is a port free on UDP and TCP now, from this package's range
// 25700–25799 (docs/architecture.md §6): below the kernel's ephemeral
// ports, so that no client socket of a test running beside it is handed
// it before the stand-in binds it. The package's tests do not run in
// parallel, and each stand-in holds its port once started.
func freePort(t *testing.T) int {
	t.Helper()
	for port := 25700; port < 25800; port++ {
		u, err := net.ListenPacket("udp4", ":"+strconv.Itoa(port))
		if err != nil {
			continue
		}
		u.Close()
		if l, err := net.Listen("tcp4", ":"+strconv.Itoa(port)); err == nil {
			l.Close()
			return port
		}
	}
	t.Fatal("no free port")
	return 0
}

func (s *standIn) Create(_ context.Context, spec instance.Spec) (instance.Instance, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := layout.ValidateName(spec.Name); err != nil {
		return instance.Instance{}, err
	}
	for _, d := range []string{s.root.Instance(spec.Name), s.root.Merged(spec.Name)} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return instance.Instance{}, err
		}
	}
	s.spec, s.port = spec, freePort(s.t)
	return instance.Instance{Name: spec.Name, OwnerID: spec.OwnerID, Port: s.port, Args: spec.Args, RCONPassword: standInPassword}, nil
}

func (s *standIn) Start(ctx context.Context, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.startErr != nil {
		s.state = instance.Failed
		return s.startErr
	}
	cfg := s.spec.ServerCfg + "rcon_password \"" + standInPassword + "\"\n"
	if err := os.WriteFile(filepath.Join(s.install, "left4dead2", "cfg", "server.cfg"), []byte(cfg), 0o644); err != nil {
		return err
	}
	args := append([]string{"-game", "left4dead2", "+ip", "0.0.0.0", "+hostport", strconv.Itoa(s.port)}, s.spec.Args...)
	srv, err := fakesrcds.Start(context.Background(), fakesrcds.Config{Dir: s.install, Args: args, Stdout: s.console})
	if err != nil {
		return err
	}
	s.srv, s.state = srv, instance.Running
	if s.onStarted != nil {
		s.onStarted()
	}
	return nil
}

func (s *standIn) Stop(context.Context, string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		s.srv.Close()
		s.srv = nil
	}
	s.state = instance.Stopped
	return nil
}

func (s *standIn) Status(context.Context, string) (instance.Status, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return instance.Status{State: s.state}, nil
}

func (s *standIn) Delete(ctx context.Context, name string) error {
	if err := s.Stop(ctx, name); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range []string{s.root.Instance(name), s.root.Runtime(name)} {
		if err := os.RemoveAll(d); err != nil {
			return err
		}
	}
	s.deleted = true
	return nil
}

// hostAddr is this machine's non-loopback address, as the probe uses it.
func hostAddr(t *testing.T) netip.Addr {
	t.Helper()
	a, err := hostaddr.Primary()
	if errors.Is(err, hostaddr.ErrNone) {
		t.Skip("no non-loopback address on this machine")
	}
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func newProbe(t *testing.T, s *standIn) *Probe {
	return &Probe{
		Instances: s, Logs: s.console, Root: s.root, OwnerID: 1, Host: hostAddr(t),
		Args: ProbeArgs, Wait: 20 * time.Second, Name: "doctor-probe-test",
		Mounted: func(string) (bool, error) { return false, nil },
	}
}

func statuses(rs []Result) string {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "%s %s: %s %s\n", r.Status, r.Name, r.Found, r.Fix)
	}
	return b.String()
}

func TestProbePassesAgainstStandIn(t *testing.T) {
	s := newStandIn(t)
	rs := newProbe(t, s).Run(context.Background())
	if len(rs) != len(ProbeNames) {
		t.Fatalf("%d results, want %d:\n%s", len(rs), len(ProbeNames), statuses(rs))
	}
	for i, r := range rs {
		if r.Name != ProbeNames[i] || r.Status != OK {
			t.Errorf("result %d: %s %s, want ok %s", i, r.Status, r.Name, ProbeNames[i])
		}
	}
	if t.Failed() {
		t.Log("\n" + statuses(rs))
	}
	if !s.deleted {
		t.Error("the probe instance was not deleted")
	}
	for _, d := range []string{s.root.Instance("doctor-probe-test"), s.root.Runtime("doctor-probe-test")} {
		if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left behind", d)
		}
	}
	if !strings.Contains(rs[5].Found, `say "left4me-doctor-`) {
		t.Errorf("the UDP log line is not the probe's say: %q", rs[5].Found)
	}
}

func TestProbeDeletesWhenStartFails(t *testing.T) {
	s := newStandIn(t)
	s.startErr = errors.New("start left4me-server@doctor-probe-test.service: the unit failed")
	rs := newProbe(t, s).Run(context.Background())
	got := statuses(rs)
	want := "ok probe-create\nfail probe-start\nok probe-delete\n"
	var short strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&short, "%s %s\n", r.Status, r.Name)
	}
	if short.String() != want {
		t.Errorf("results:\n%s\nwant:\n%s", got, want)
	}
	if !s.deleted {
		t.Error("the probe instance was not deleted after the failed start")
	}
}

func TestProbeNoA2SAnswerFailsAndStillCleansUp(t *testing.T) {
	s := newStandIn(t)
	p := newProbe(t, s)
	p.Wait = time.Second
	p.Query = func(ctx context.Context, addr string) (srcds.Info, []srcds.Player, error) {
		return srcds.Info{}, nil, fmt.Errorf("a2s query %s: i/o timeout", addr)
	}
	rs := p.Run(context.Background())
	byName := map[string]Result{}
	for _, r := range rs {
		byName[r.Name] = r
	}
	expect(t, byName["probe-a2s"], "probe-a2s", Fail, "no A2S_INFO answer from "+p.Host.String(), "i/o timeout")
	expect(t, byName["probe-rcon"], "probe-rcon", OK)
	expect(t, byName["probe-delete"], "probe-delete", OK)
	if !s.deleted {
		t.Error("not deleted")
	}
}

func TestProbeInterruptedStillDeletes(t *testing.T) {
	s := newStandIn(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s.onStarted = cancel
	rs := newProbe(t, s).Run(ctx)
	last := rs[len(rs)-1]
	expect(t, last, "probe-delete", OK, "nothing left behind")
	if !s.deleted {
		t.Errorf("not deleted after an interrupt:\n%s", statuses(rs))
	}
}

func TestProbeLeftoversAreReported(t *testing.T) {
	s := newStandIn(t)
	p := newProbe(t, s)
	p.Mounted = func(string) (bool, error) { return true, nil }
	rs := p.Run(context.Background())
	byName := map[string]Result{}
	for _, r := range rs {
		byName[r.Name] = r
	}
	expect(t, byName["probe-unmount"], "probe-unmount", Fail, "still mounted", "stop the instance again")
	expect(t, byName["probe-delete"], "probe-delete", Fail, "left behind: a mount of")
}

func TestProbeRefusesLoopbackHost(t *testing.T) {
	s := newStandIn(t)
	p := newProbe(t, s)
	p.Host = netip.MustParseAddr("127.0.0.1")
	rs := p.Run(context.Background())
	if len(rs) != 1 {
		t.Fatalf("results:\n%s", statuses(rs))
	}
	expect(t, rs[0], "probe-create", Fail, "LEFT4ME_QUERY_HOST")
	if s.spec.Name != "" {
		t.Error("an instance was created")
	}
}

func TestMountinfoHas(t *testing.T) {
	const info = `36 35 98:0 / / rw,noatime master:1 - ext4 /dev/root rw
120 36 0:50 / /var/lib/left4me/runtime/alpha/merged rw,nosuid,nodev - overlay left4me:alpha rw,lowerdir=4:5
`
	for source, want := range map[string]bool{"left4me:alpha": true, "left4me:beta": false, "/dev/root": true, "overlay": false} {
		got, err := mountinfoHas(bufio.NewScanner(strings.NewReader(info)), source)
		if err != nil || got != want {
			t.Errorf("mountinfoHas(%q) = %v, %v; want %v", source, got, err, want)
		}
	}
}

func TestWaitLogLine(t *testing.T) {
	for _, tc := range []struct {
		lines []string
		want  string
	}{
		{[]string{"Log file started", `"Console<0><Console><Console>" say "tok"`}, `"Console<0><Console><Console>" say "tok"`},
		{[]string{"Log file started"}, "Log file started"},
		{nil, ""},
	} {
		ch := make(chan string, len(tc.lines))
		for _, l := range tc.lines {
			ch <- l
		}
		if got := waitLogLine(context.Background(), ch, "tok", 50*time.Millisecond); got != tc.want {
			t.Errorf("waitLogLine(%q) = %q, want %q", tc.lines, got, tc.want)
		}
	}
}

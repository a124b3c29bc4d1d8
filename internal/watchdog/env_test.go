package watchdog_test

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/events"
	"github.com/left4me/left4me/internal/fakesrcds"
	"github.com/left4me/left4me/internal/hostaddr"
	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/live"
	"github.com/left4me/left4me/internal/process"
	"github.com/left4me/left4me/internal/srcds"
	"github.com/left4me/left4me/internal/store"
	"github.com/left4me/left4me/internal/watchdog"
)

func TestMain(m *testing.M) {
	// The process supervisor's namespace child is this test binary
	// re-executed.
	if spec := os.Getenv(process.ChildEnv); spec != "" {
		process.ChildMain(spec, os.Environ())
	}
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

var (
	buildOnce sync.Once
	buildDir  string
	binPath   string
	buildErr  error
)

// fakeBinary builds the stand-in server once per test binary.
func fakeBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if buildDir, buildErr = os.MkdirTemp("", "left4me-watchdog-fakesrcds-"); buildErr != nil {
			return
		}
		binPath = filepath.Join(buildDir, "fakesrcds")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		buildErr = fakesrcds.Build(ctx, binPath)
	})
	if buildErr != nil {
		t.Fatalf("build fakesrcds: %v", buildErr)
	}
	return binPath
}

// notice is one notification or audit entry the watchdog sent.
type notice struct {
	event, instance string
	detail          map[string]any
	actor, action   string
	summary         string
	result          error
}

// recorder is a Notifier and an Auditor that keeps what it is given.
type recorder struct {
	mu      sync.Mutex
	notes   []notice
	audited []notice
}

func (r *recorder) Notify(_ context.Context, event, inst string, detail map[string]any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notes = append(r.notes, notice{event: event, instance: inst, detail: detail})
}

func (r *recorder) Record(_ context.Context, actor, action, target, summary string, result error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.audited = append(r.audited, notice{actor: actor, action: action, instance: target, summary: summary, result: result})
}

func (r *recorder) notices() ([]notice, []notice) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]notice(nil), r.notes...), append([]notice(nil), r.audited...)
}

// env is the panel's parts around a watchdog: the process supervisor
// running stand-in servers, the instance service, the live poller, the
// console followers, and the watchdog itself, which the tests drive with
// Check instead of Run.
type env struct {
	t      *testing.T
	ctx    context.Context
	st     *store.Store
	sup    *process.Supervisor
	svc    *instance.Service
	poller *live.Poller
	wd     *watchdog.Watchdog
	rec    *recorder
	owner  int64
	host   netip.Addr
}

var portBase = struct {
	sync.Mutex
	next int
}{}

func newEnv(t *testing.T, cfg watchdog.Config) *env {
	t.Helper()
	if err := process.CanMount(); err != nil {
		t.Skipf("needs overlay mounts (root or user namespaces): %v", err)
	}
	host, err := hostaddr.Primary()
	if err != nil || host.IsLoopback() {
		t.Skipf("needs a non-loopback address of this host: the stand-in, like srcds, ignores A2S from loopback (docs/srcds.md §8): %v", err)
	}
	bin := fakeBinary(t)
	root, err := layout.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := root.Create(0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(root.String(), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := fakesrcds.WriteInstallation(root.Installation("1"), bin); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	st, err := store.Open(ctx, root.Database())
	if err != nil {
		t.Fatal(err)
	}
	owner, err := st.CreateUser(ctx, "op", "h", true)
	if err != nil {
		t.Fatal(err)
	}
	sup := process.New(process.Config{Root: root, StopTimeout: 2 * time.Second, Env: os.Environ()})
	portBase.Lock()
	// Blocks of 20 in 30100-30899, below the kernel's ephemeral ports
	// (32768 and up), so no client socket of another test takes one.
	pmin := 30100 + portBase.next%40*20
	portBase.next++
	portBase.Unlock()
	svc := instance.NewService(instance.Config{Root: root, PortMin: pmin, PortMax: pmin + 19}, st, sup)
	targets := live.TargetFunc(func(ctx context.Context) ([]live.Target, error) {
		list, err := svc.List(ctx)
		if err != nil {
			return nil, err
		}
		var out []live.Target
		for _, in := range list {
			if s, err := sup.Status(ctx, in.Name); err != nil || s.State != instance.Running {
				continue
			}
			port := in.ServerPort()
			out = append(out, live.Target{Name: in.Name, RCONAddr: "127.0.0.1:" + strconv.Itoa(port),
				A2SAddr: netip.AddrPortFrom(host, uint16(port)).String(), RCONPassword: in.RCONPassword})
		}
		return out, nil
	})
	poller := live.NewPoller(live.Config{Interval: 500 * time.Millisecond, Timeout: time.Second}, targets, nil, nil)
	rec := &recorder{}
	wd := watchdog.New(cfg, watchdog.Deps{Instances: svc, States: sup, Polls: poller, Logs: sup, Store: st, Notifier: rec, Auditor: rec})
	evr := events.NewRecorder(events.Config{}, nil, st, nil)
	running := func(ctx context.Context) ([]events.Running, error) {
		list, err := svc.List(ctx)
		if err != nil {
			return nil, err
		}
		var out []events.Running
		for _, in := range list {
			if s, err := sup.Status(ctx, in.Name); err == nil && s.State == instance.Running {
				out = append(out, events.Running{Name: in.Name, Since: s.Since})
			}
		}
		return out, nil
	}
	var wg sync.WaitGroup
	wg.Go(func() { poller.Run(ctx) })
	wg.Go(func() { evr.Run(ctx) })
	wg.Go(func() {
		evr.FollowConsoles(ctx, sup, running, eventsConsoleConfig(wd))
	})
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		sup.Shutdown(context.Background())
		st.Close()
	})
	return &env{t: t, ctx: ctx, st: st, sup: sup, svc: svc, poller: poller, wd: wd, rec: rec, owner: owner.ID, host: host}
}

func eventsConsoleConfig(wd *watchdog.Watchdog) events.ConsoleConfig {
	return events.ConsoleConfig{Interval: 200 * time.Millisecond, Observe: wd.ConsoleLine}
}

// start creates and starts an instance with srcds arguments and waits
// until the poller has seen it answer.
func (e *env) start(name string, args ...string) instance.Instance {
	e.t.Helper()
	in, err := e.svc.Create(e.ctx, instance.Spec{Name: name, OwnerID: e.owner, Args: args})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.svc.Start(e.ctx, name); err != nil {
		e.t.Fatal(err)
	}
	e.waitAnswering(name)
	return in
}

// waitAnswering waits until the poller's last poll of name was answered.
func (e *env) waitAnswering(name string) live.Snapshot {
	e.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		snap, ok := e.poller.Snapshot(name)
		if ok && snap.Online && !snap.NotAnswering {
			return snap
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%s never answered the poller: %+v", name, snap)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (e *env) status(name string) instance.Status {
	e.t.Helper()
	st, err := e.sup.Status(e.ctx, name)
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

// enginePID finds the stand-in engine (srcds_linux) listening on port.
func enginePID(t *testing.T, port int) int {
	t.Helper()
	want := []byte("\x00+hostport\x00" + strconv.Itoa(port) + "\x00")
	dirs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range dirs {
		b, err := os.ReadFile(p)
		if err != nil || !bytes.Contains(b, want) {
			continue
		}
		argv0, _, _ := bytes.Cut(b, []byte{0})
		if filepath.Base(string(argv0)) != "srcds_linux" {
			continue
		}
		pid, err := strconv.Atoi(filepath.Base(filepath.Dir(p)))
		if err == nil {
			return pid
		}
	}
	t.Fatalf("no srcds_linux process on port %d", port)
	return 0
}

// freeze stops the engine with SIGSTOP (continued at the end of the test
// if it still exists).
func freeze(t *testing.T, port int) int {
	t.Helper()
	pid := enginePID(t, port)
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatalf("SIGSTOP %d: %v", pid, err)
	}
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGCONT) })
	return pid
}

// checkUntil runs the watchdog's check every 100 ms until done says so
// about name's verdict, and returns every verdict of name seen. It fails
// the test after limit.
func (e *env) checkUntil(name string, limit time.Duration, done func(v watchdog.Verdict) bool) []watchdog.Verdict {
	e.t.Helper()
	deadline := time.Now().Add(limit)
	var seen []watchdog.Verdict
	for {
		for _, v := range e.wd.Check(e.ctx) {
			if v.Name != name {
				continue
			}
			seen = append(seen, v)
			if done(v) {
				return seen
			}
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%s: gave up after %s; verdicts: %s", name, limit, summary(seen))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// summary lists the distinct judgements in order.
func summary(vs []watchdog.Verdict) string {
	var b bytes.Buffer
	last := ""
	for _, v := range vs {
		if v.Judgement != last {
			fmt.Fprintf(&b, "%s (%s); ", v.Judgement, v.Reason)
			last = v.Judgement
		}
	}
	return b.String()
}

// rcon sends one command to name's server.
func (e *env) rcon(in instance.Instance, cmd string) (string, error) {
	s := srcds.NewSession("127.0.0.1:"+strconv.Itoa(in.Port), in.RCONPassword)
	defer s.Close()
	ctx, cancel := context.WithTimeout(e.ctx, 5*time.Second)
	defer cancel()
	return s.Exec(ctx, cmd, false)
}

// syscallCont continues a process stopped with SIGSTOP.
func syscallCont(pid int) error { return syscall.Kill(pid, syscall.SIGCONT) }

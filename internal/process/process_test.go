package process

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/fakesrcds"
	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/overlay"
	"github.com/left4me/left4me/internal/srcds"
	"github.com/left4me/left4me/internal/store"
)

func TestMain(m *testing.M) {
	// The namespace child is this test binary re-executed.
	if spec := os.Getenv(ChildEnv); spec != "" {
		ChildMain(spec, os.Environ())
	}
	// A panel that TestPanelDeath starts and kills.
	if spec := os.Getenv(testPanelEnv); spec != "" {
		testPanelMain(spec)
	}
	os.Exit(m.Run())
}

func TestRing(t *testing.T) {
	r := newRing(3)
	if got := r.tail(10); len(got) != 0 {
		t.Errorf("empty tail = %q", got)
	}
	ch, cancel := r.subscribe()
	for i := range 5 {
		r.add(fmt.Sprint(i))
	}
	if got, want := r.tail(10), []string{"2", "3", "4"}; !reflect.DeepEqual(got, want) {
		t.Errorf("tail(10) = %q, want %q", got, want)
	}
	if got, want := r.tail(2), []string{"3", "4"}; !reflect.DeepEqual(got, want) {
		t.Errorf("tail(2) = %q, want %q", got, want)
	}
	if got := <-ch; got != "0" {
		t.Errorf("follower got %q first", got)
	}
	cancel()
	// A follower that never reads does not block the writer.
	_, cancel2 := r.subscribe()
	defer cancel2()
	for i := range followerBuffer * 3 {
		r.add(fmt.Sprint(i))
	}
}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// fakeBinary builds cmd/fakesrcds once per test run.
func fakeBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		// A prebuilt binary, for runs as a user who cannot build (for
		// example the test binary run as nobody to try user namespaces).
		if p := os.Getenv("LEFT4ME_TEST_FAKESRCDS"); p != "" {
			binPath = p
			return
		}
		dir, err := os.MkdirTemp("", "left4me-fakesrcds-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "fakesrcds")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		buildErr = fakesrcds.Build(ctx, binPath)
	})
	if buildErr != nil {
		t.Fatalf("build fakesrcds: %v", buildErr)
	}
	return binPath
}

func TestCanMount(t *testing.T) {
	err := CanMount()
	if os.Geteuid() == 0 && err != nil {
		t.Fatalf("CanMount as root: %v", err)
	}
	if err != nil {
		if strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "sysctl") {
			t.Errorf("CanMount error is not one line with the fix: %q", err)
		}
		t.Logf("CanMount: %v", err)
	}
}

// TestLifecycle drives the real thing: the instance service with this
// supervisor, a stand-in installation running fakesrcds, a content layer,
// overlay mounts, RCON over TCP.
func TestLifecycle(t *testing.T) {
	modes := []struct {
		name   string
		userns bool
	}{{"host-mount", false}, {"user-namespace", true}}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			if !m.userns && os.Geteuid() != 0 {
				t.Skip("needs root: mounts the overlay in the host namespace")
			}
			if m.userns {
				if err := probe(); err != nil {
					t.Skipf("needs unprivileged user namespaces with overlayfs: %v", err)
				}
			}
			runLifecycle(t, m.userns)
		})
	}
}

// testEnv is a state root with a stand-in installation and one content
// layer, a database with an owner, and the service over this supervisor.
type testEnv struct {
	root  layout.Root
	svc   *instance.Service
	sup   *Supervisor
	owner int64
}

func newTestEnv(tb testing.TB, userns bool) *testEnv {
	tb.Helper()
	ctx := context.Background()
	bin := fakeBinary(tb)
	root, err := layout.New(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	if err := root.Create(0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.Chmod(root.String(), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := fakesrcds.WriteInstallation(root.Installation("1"), bin); err != nil {
		tb.Fatal(err)
	}
	// A layer holding a cfg that only it provides (docs/lifecycle.md rule 5: the
	// server must read the merged tree, not the base installation).
	layerCfg := filepath.Join(root.Overlay("extra", "1"), "left4dead2", "cfg", "extra.cfg")
	if err := os.MkdirAll(filepath.Dir(layerCfg), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(layerCfg, []byte("sv_layer_marker \"from-layer\"\n"), 0o644); err != nil {
		tb.Fatal(err)
	}
	st, err := store.Open(ctx, root.Database())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	owner, err := st.CreateUser(ctx, "op", "h", true)
	if err != nil {
		tb.Fatal(err)
	}
	sup := New(Config{Root: root, UserNamespace: userns, StopTimeout: 10 * time.Second, Env: os.Environ()})
	tb.Cleanup(func() { sup.Shutdown(context.Background()) })
	svc := instance.NewService(instance.Config{Root: root, PortMin: 25015, PortMax: 25515}, st, sup)
	return &testEnv{root: root, svc: svc, sup: sup, owner: owner.ID}
}

func runLifecycle(t *testing.T, userns bool) {
	ctx := context.Background()
	e := newTestEnv(t, userns)
	root, svc, sup := e.root, e.svc, e.sup
	in, err := svc.Create(ctx, instance.Spec{
		Name: "t1", OwnerID: e.owner, Layers: []string{"extra"},
		Args:      []string{"+map", "c2m1_highway"},
		ServerCfg: "hostname \"process test\"\nexec extra.cfg\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(ctx, "t1"); err != nil {
		t.Fatal(err)
	}
	if s, _ := svc.Status(ctx, "t1"); s.State != instance.Running {
		t.Fatalf("state after Start = %q", s.State)
	}
	if !userns {
		if m, err := overlay.IsMounted(root.Merged("t1")); err != nil || !m {
			t.Errorf("merged not mounted while running: %v %v", m, err)
		}
	}
	addr := fmt.Sprintf("127.0.0.1:%d", in.Port)
	if reply := rconUntil(t, addr, in.RCONPassword, "sv_layer_marker"); !strings.Contains(reply, "from-layer") {
		t.Errorf("cvar from the layer's cfg: reply %q", reply)
	}
	if reply := rconUntil(t, addr, in.RCONPassword, "hostname"); !strings.Contains(reply, "process test") {
		t.Errorf("hostname from the staged server.cfg: reply %q", reply)
	}
	lines, _ := sup.Tail(ctx, "t1", 50)
	if len(lines) == 0 {
		t.Error("no console lines captured")
	}

	if err := svc.Stop(ctx, "t1"); err != nil {
		t.Fatal(err)
	}
	if s, _ := svc.Status(ctx, "t1"); s.State != instance.Stopped {
		t.Errorf("state after Stop = %q", s.State)
	}
	if m, _ := overlay.IsMounted(root.Merged("t1")); m {
		t.Error("merged still mounted after Stop")
	}
	if _, err := os.Lstat(filepath.Join(root.Work("t1"), "work")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("work/work left after Stop: %v", err)
	}

	// Reset of a running instance: upper is emptied and it runs again.
	if err := svc.Start(ctx, "t1"); err != nil {
		t.Fatal(err)
	}
	rconUntil(t, addr, in.RCONPassword, "hostname")
	junk := filepath.Join(root.Upper("t1"), "junk.txt")
	if err := os.WriteFile(junk, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := svc.Reset(ctx, "t1"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(junk); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("upper not emptied by Reset: %v", err)
	}
	if s, _ := svc.Status(ctx, "t1"); s.State != instance.Running {
		t.Errorf("state after Reset of a running instance = %q", s.State)
	}
	rconUntil(t, addr, in.RCONPassword, "hostname")

	// A server that crashes on start ends Failed.
	crash := []string{"-fakecrash"}
	if _, err := svc.Update(ctx, "t1", instance.Update{Args: &crash}); err != nil {
		t.Fatal(err)
	}
	if err := svc.Restart(ctx, "t1"); err != nil {
		t.Fatal(err)
	}
	waitState(t, svc, "t1", instance.Failed)
	if m, _ := overlay.IsMounted(root.Merged("t1")); m {
		t.Error("merged still mounted after a crash")
	}

	if err := svc.Delete(ctx, "t1"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{root.Runtime("t1"), root.Instance("t1")} {
		if _, err := os.Lstat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left after Delete: %v", p, err)
		}
	}
}

// rconUntil sends cmd until the server answers (it needs a moment to bind).
func rconUntil(t *testing.T, addr, password, cmd string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var lastErr error
	for ctx.Err() == nil {
		c, err := srcds.Dial(ctx, addr, password)
		if err == nil {
			reply, err := c.Exec(ctx, cmd)
			c.Close()
			if err == nil {
				return reply
			}
			lastErr = err
		} else {
			lastErr = err
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("RCON %s at %s: %v", cmd, addr, lastErr)
	return ""
}

func waitState(t *testing.T, svc *instance.Service, name string, want instance.State) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var st instance.Status
	for time.Now().Before(deadline) {
		st, _ = svc.Status(context.Background(), name)
		if st.State == want {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("state of %s = %q, want %q", name, st.State, want)
}

// BenchmarkResetRunning measures a reset of a running instance through the
// service (stop, empty upper and work, stage, start) with the stand-in
// server; docs/lifecycle.md rule 11 wants it fast.
func BenchmarkResetRunning(b *testing.B) {
	userns := os.Geteuid() != 0
	if userns {
		if err := probe(); err != nil {
			b.Skipf("needs root or unprivileged user namespaces: %v", err)
		}
	}
	e := newTestEnv(b, userns)
	ctx := context.Background()
	if _, err := e.svc.Create(ctx, instance.Spec{Name: "bench", OwnerID: e.owner}); err != nil {
		b.Fatal(err)
	}
	if err := e.svc.Start(ctx, "bench"); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if err := e.svc.Reset(ctx, "bench"); err != nil {
			b.Fatal(err)
		}
	}
}

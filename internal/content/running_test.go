package content

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/overlay"
	"github.com/left4me/left4me/internal/process"
	"github.com/left4me/left4me/internal/steamcmd"
)

func TestMain(m *testing.M) {
	// The process supervisor may re-execute this test binary as the
	// namespace child of a server.
	if spec := os.Getenv(process.ChildEnv); spec != "" {
		process.ChildMain(spec, os.Environ())
	}
	// A caller of DevSandbox that TestDevSandboxDiesWithCaller kills.
	if root := os.Getenv(testBuildCallerEnv); root != "" {
		testBuildCallerMain(root)
	}
	os.Exit(m.Run())
}

// TestRunningInstanceKeepsGeneration is rule 12 end to end with real
// overlay mounts: instances run on installation generation A, an update
// publishes B, their mounted trees stay byte-identical and GC keeps A; a
// restart moves the instance to B, after which GC may remove A.
func TestRunningInstanceKeepsGeneration(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: mounts overlays in the host mount namespace")
	}
	if err := process.CanMount(); err != nil {
		t.Skipf("needs overlayfs: %v", err)
	}
	ctx := context.Background()
	e := newEnv(t)
	if err := os.Chmod(e.root.String(), 0o755); err != nil {
		t.Fatal(err)
	}
	steam, srcds := binaries(t)
	runner := func(build string, extra ...string) steamcmd.Runner {
		return steamcmd.Direct{Path: steam, Env: append([]string{"FAKESTEAMCMD_BUILDID=" + build, "FAKESTEAMCMD_SRCDS=" + srcds}, extra...)}
	}
	ra, err := e.svc.Install(ctx, runner("100"), false, e.user, &recorder{})
	if err != nil {
		t.Fatal(err)
	}
	genA := e.root.Installation(ra.Generation)

	// 1. A bare overlay mount (what left4me-overlay does for the unit) of an
	// instance whose instance.env names generation A.
	const direct = "direct"
	for _, d := range []string{e.root.Instance(direct), e.root.Upper(direct), e.root.Work(direct), e.root.Merged(direct)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := overlay.WriteEnvFile(e.root.InstanceEnv(direct), overlay.Env{Port: 26100, LowerDirs: []string{genA}}, 0, 0); err != nil {
		t.Fatal(err)
	}
	plan, err := overlay.Load(e.root, direct)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := overlay.Mount(plan, overlay.MountOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if up, err := overlay.LoadUnmount(e.root, direct); err == nil {
			overlay.Unmount(up)
		}
	})

	// 2. An instance run by the instance service with the process supervisor.
	sup := process.New(process.Config{Root: e.root, StopTimeout: 10 * time.Second})
	t.Cleanup(func() { sup.Shutdown(context.Background()) })
	svc := instance.NewService(instance.Config{Root: e.root, PortMin: 26115, PortMax: 26215}, e.st, sup)
	if _, err := svc.Create(ctx, instance.Spec{Name: "t1", OwnerID: e.user}); err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(ctx, "t1"); err != nil {
		t.Fatal(err)
	}
	envOf := func(name string) overlay.Env {
		t.Helper()
		env, err := overlay.ReadEnvFile(e.root.InstanceEnv(name))
		if err != nil {
			t.Fatal(err)
		}
		return env
	}
	if env := envOf("t1"); env.LowerDirs[len(env.LowerDirs)-1] != genA {
		t.Fatalf("t1 does not run on generation A: %q", env.LowerDirs)
	}
	beforeDirect := hashTree(t, e.root.Merged(direct))
	beforeT1 := hashTree(t, e.root.Merged("t1"))

	// The update rewrites files in place (the worst case for a shared tree).
	rb, err := e.svc.Install(ctx, runner("101", "FAKESTEAMCMD_INPLACE=1"), false, e.user, &recorder{})
	if err != nil {
		t.Fatal(err)
	}
	if rb.Generation <= ra.Generation {
		t.Fatalf("generation B %q does not sort after A %q", rb.Generation, ra.Generation)
	}
	if n, _ := layout.Newest(e.root.Installations()); n != rb.Generation {
		t.Errorf("newest = %q, want B %q", n, rb.Generation)
	}
	if h := hashTree(t, e.root.Merged(direct)); h != beforeDirect {
		t.Error("the mounted tree of the bare mount changed while B was published")
	}
	if h := hashTree(t, e.root.Merged("t1")); h != beforeT1 {
		t.Error("the mounted tree of the running instance changed while B was published")
	}
	if m, _ := overlay.IsMounted(e.root.Merged("t1")); !m {
		t.Error("t1 is not mounted")
	}
	// GC keeps A while instances name it, however old.
	if _, err := GC(ctx, e.root, GCOptions{Grace: time.Nanosecond, Now: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(genA); err != nil {
		t.Fatalf("GC removed generation A while it is mounted: %v", err)
	}

	// Both instances are reported as running an older installation; a
	// rolling restart (through the instance service) moves t1 to B.
	stale, err := Stale(e.root)
	if err != nil || len(stale) != 2 || stale[0].Name != "direct" || stale[1].Name != "t1" || stale[1].Stale[0].Newest != rb.Generation {
		t.Errorf("Stale = %+v, %v", stale, err)
	}
	if stale, done, err := RestartStale(ctx, e.root, svc, &recorder{}); err != nil || !slices.Equal(stale, []string{"t1"}) || !slices.Equal(done, stale) {
		t.Fatalf("RestartStale = %q, %q, %v; want t1 (direct has no record)", stale, done, err)
	}
	if env := envOf("t1"); env.LowerDirs[len(env.LowerDirs)-1] != e.root.Installation(rb.Generation) {
		t.Errorf("after restart t1 runs on %q, want B", env.LowerDirs)
	}
	if b, err := os.ReadFile(filepath.Join(e.root.Merged("t1"), "left4dead2", "steam.inf")); err != nil || !strings.Contains(string(b), "BuildID=101") {
		t.Errorf("t1's merged steam.inf after restart: %q %v", b, err)
	}
	if s, _ := svc.Status(ctx, "t1"); s.State != instance.Running && s.State != instance.Starting {
		t.Errorf("t1 after restart: %q", s.State)
	}
	if h := hashTree(t, e.root.Merged(direct)); h != beforeDirect {
		t.Error("the bare mount changed")
	}

	// Once the bare mount is gone and its instance.env names B, A goes.
	up, err := overlay.LoadUnmount(e.root, direct)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := overlay.Unmount(up); err != nil {
		t.Fatal(err)
	}
	overlay.WriteEnvFile(e.root.InstanceEnv(direct), overlay.Env{Port: 26100, LowerDirs: []string{e.root.Installation(rb.Generation)}}, 0, 0)
	removed, err := GC(ctx, e.root, GCOptions{Grace: time.Nanosecond, Now: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(genA); !os.IsNotExist(err) {
		t.Errorf("generation A kept after nothing names it (removed %q): %v", removed, err)
	}
	if err := svc.Stop(ctx, "t1"); err != nil {
		t.Fatal(err)
	}
}

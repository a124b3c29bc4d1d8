package canary_test

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/canary"
	"github.com/left4me/left4me/internal/content"
	"github.com/left4me/left4me/internal/fakesrcds"
	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/jobs"
	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/overlay"
	"github.com/left4me/left4me/internal/process"
	"github.com/left4me/left4me/internal/store"
)

// TestMain lets the process supervisor re-execute this test binary as the
// namespace child that mounts an instance's overlay (non-root runs).
func TestMain(m *testing.M) {
	if spec := os.Getenv(process.ChildEnv); spec != "" {
		process.ChildMain(spec, os.Environ())
	}
	os.Exit(m.Run())
}

// notes records notifications.
type notes struct {
	mu     sync.Mutex
	events []string
	detail []map[string]any
}

func (n *notes) Notify(_ context.Context, event, inst string, detail map[string]any) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.events = append(n.events, event+" "+inst)
	n.detail = append(n.detail, detail)
}

func (n *notes) list() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.events)
}

// logLines is a Progress that keeps the log.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) Progress(float64, string) {}
func (l *logLines) Logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, strings.TrimSpace(strings.ReplaceAll(format, "%", "")))
}

type rig struct {
	root     layout.Root
	svc      *instance.Service
	sup      *process.Supervisor
	bin      string
	notes    *notes
	promoted int
	canary   *canary.Service
	st       *store.Store
}

// newRig makes a state root with a stand-in installation generation
// 000001, two instances ("pilot" and "other") started on it, and a canary
// service over the real instance service and process supervisor.
func newRig(t *testing.T) *rig {
	t.Helper()
	if testing.Short() {
		t.Skip("runs game servers")
	}
	if err := process.CanMount(); err != nil {
		t.Skipf("needs overlay mounts (root or user namespaces): %v", err)
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("needs the go tool to build fakesrcds")
	}
	ctx := context.Background()
	root, err := layout.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := root.Create(0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { content.RemoveTree(root.String()) })
	r := &rig{root: root, notes: &notes{}}
	r.bin = filepath.Join(t.TempDir(), "fakesrcds")
	if out, err := exec.Command(goTool, "build", "-o", r.bin, "github.com/left4me/left4me/cmd/fakesrcds").CombinedOutput(); err != nil {
		t.Fatalf("build fakesrcds: %v\n%s", err, out)
	}
	r.generation(t, "000001", "")
	st, err := store.Open(ctx, root.Database())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r.st = st
	r.sup = process.New(process.Config{Root: root, StopTimeout: 5 * time.Second})
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		r.sup.Shutdown(sctx)
	})
	r.svc = instance.NewService(instance.Config{Root: root, PortMin: 29000, PortMax: 29999}, st, r.sup)
	owner, err := st.CreateUser(ctx, "owner", "x", true)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"pilot", "other"} {
		if _, err := r.svc.Create(ctx, instance.Spec{Name: name, OwnerID: owner.ID, Args: []string{"+map", "c1m1_hotel", "-a2sloopback"}}); err != nil {
			t.Fatal(err)
		}
		if err := r.svc.Start(ctx, name); err != nil {
			t.Fatal(err)
		}
	}
	r.canary = canary.New(canary.Config{
		Root: root, Instances: r.svc, Logs: r.sup, Host: netip.MustParseAddr("127.0.0.1"),
		Notifier: r.notes, Window: 3 * time.Second,
		Promote: func(context.Context, int64) (int64, error) { r.promoted++; return 77, nil },
	})
	return r
}

// jobs starts a job queue on the rig's database running the canary job.
func (r *rig) jobs(t *testing.T) *jobs.Manager {
	t.Helper()
	ctx := context.Background()
	m, err := jobs.New(ctx, r.st.DB(), jobs.Config{
		Workers: 1, RetryBase: 10 * time.Millisecond, RetryMax: 50 * time.Millisecond,
		Heartbeat: 100 * time.Millisecond, OrphanAfter: time.Minute, RescueGrace: 2 * time.Minute,
		FlushInterval: 20 * time.Millisecond, PollInterval: 50 * time.Millisecond,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.canary.RegisterJobs(m); err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		m.Stop(sctx)
	})
	return m
}

// waitJob waits for a job to finish.
func waitJob(t *testing.T, m *jobs.Manager, id int64) jobs.Job {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		j, err := m.Get(context.Background(), id)
		if err == nil && j.State.Finished() {
			return j
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("job %d did not finish", id)
	return jobs.Job{}
}

// generation writes a stand-in installation generation; a non-empty
// console line is printed by its server at start (fakesrcds.ConsoleFile).
func (r *rig) generation(t *testing.T, gen, console string) {
	t.Helper()
	dir := r.root.Installation(gen)
	if err := fakesrcds.WriteInstallation(dir, r.bin); err != nil {
		t.Fatal(err)
	}
	if console != "" {
		if err := os.WriteFile(filepath.Join(dir, "left4dead2", fakesrcds.ConsoleFile), []byte(console+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// installOf is the installation generation instance name's instance.env
// names.
func (r *rig) installOf(t *testing.T, name string) string {
	t.Helper()
	env, err := overlay.ReadEnvFile(r.root.InstanceEnv(name))
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Base(env.LowerDirs[len(env.LowerDirs)-1])
}

// TestCanaryWithBrokenSignatureBlocksPromotion: a new generation whose
// server prints "Signature broken" fails the canary: the old generation
// stays the default, the other instance stays on it and is not stale, the
// canary is put back on the old generation and unpinned, no rolling
// restart is queued, and canary.failed is notified. Then a clean
// generation passes: it becomes the default, the canary runs on it
// unpinned, the rolling restart is queued, the other is stale.
func TestCanaryWithBrokenSignatureBlocksPromotion(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	inst := r.root.Installations()
	// An install with a canary holds the default before it publishes.
	if err := layout.HoldDefault(inst, "000001"); err != nil {
		t.Fatal(err)
	}
	r.generation(t, "000002", `[SM] Unable to load extension "sdkhooks.ext": Signature broken (CTerrorPlayer::OnTakeDamage)`)
	// As the durable job the install queues: it fails for good, at once.
	m := r.jobs(t)
	id, _, err := canary.Enqueue(ctx, m, canary.Args{Instance: "pilot", Generation: "000002"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	j := waitJob(t, m, id)
	if j.State != jobs.StateFailed || j.Attempt != 1 || !strings.Contains(j.Log, "Signature broken") {
		t.Fatalf("canary job on a broken generation: %s after %d attempts\n%s", j.State, j.Attempt, j.Log)
	}
	if d, _ := layout.Default(inst); d != "000001" {
		t.Errorf("default after a failed canary = %q, want 000001", d)
	}
	if got := r.installOf(t, "pilot"); got != "000001" {
		t.Errorf("the failed canary runs on %s, want 000001 again", got)
	}
	if st, _ := r.svc.Status(ctx, "pilot"); st.State != instance.Running {
		t.Errorf("the failed canary (running before) is %s after it", st.State)
	}
	if in, _ := r.svc.Get(ctx, "pilot"); len(in.Pins) != 0 {
		t.Errorf("the failed canary keeps pins %v", in.Pins)
	}
	if stale, err := content.Stale(r.root); err != nil || len(stale) != 0 {
		t.Errorf("stale after a failed canary: %+v, %v", stale, err)
	}
	if r.promoted != 0 {
		t.Error("a failed canary queued the rolling restart")
	}
	if got := r.notes.list(); !slices.Equal(got, []string{canary.EventFailed + " pilot"}) {
		t.Errorf("notified %q", got)
	}

	// A clean generation passes and is promoted.
	r.generation(t, "000003", "")
	var log logLines
	res, err := r.canary.Run(ctx, canary.Args{Instance: "pilot"}, 0, &log)
	if err != nil || !res.Passed || res.Generation != "000003" || res.RollingJob != 77 {
		t.Fatalf("canary on a clean generation: %+v, %v\nlog: %q", res, err, log.lines)
	}
	if d, _ := layout.Default(inst); d != "000003" {
		t.Errorf("default after a passed canary = %q, want 000003", d)
	}
	if layout.HeldDefault(inst) != "" {
		t.Error("the held default is still there after the newest passed")
	}
	if got := r.installOf(t, "pilot"); got != "000003" {
		t.Errorf("the canary runs on %s, want 000003", got)
	}
	if in, _ := r.svc.Get(ctx, "pilot"); len(in.Pins) != 0 {
		t.Errorf("the passed canary keeps pins %v", in.Pins)
	}
	stale, err := content.Stale(r.root)
	if err != nil || len(stale) != 1 || stale[0].Name != "other" {
		t.Errorf("stale after a passed canary: %+v, %v (want other)", stale, err)
	}
	if r.promoted != 1 {
		t.Errorf("rolling restarts queued: %d", r.promoted)
	}
	if got := r.notes.list(); !slices.Equal(got, []string{canary.EventFailed + " pilot", canary.EventPassed + " pilot"}) {
		t.Errorf("notified %q", got)
	}
}

// TestCanaryChecksItsArguments: a missing instance or generation is a
// FieldError naming it; nothing is pinned or started.
func TestCanaryChecksItsArguments(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	for _, c := range []struct {
		a     canary.Args
		field string
	}{
		{canary.Args{Instance: "nosuch"}, canary.FieldCanary},
		{canary.Args{}, canary.FieldCanary},
		{canary.Args{Instance: "pilot", Generation: "000009"}, canary.FieldGeneration},
	} {
		err := r.canary.Check(ctx, c.a)
		var fe *instance.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("Check %+v: %v, want a FieldError naming %s", c.a, err, c.field)
		}
		if _, err := r.canary.Run(ctx, c.a, 0, &logLines{}); err == nil {
			t.Errorf("Run %+v succeeded", c.a)
		}
	}
	if in, _ := r.svc.Get(ctx, "pilot"); len(in.Pins) != 0 {
		t.Errorf("pins after refused canaries: %v", in.Pins)
	}

	// A canary whose server cannot start fails; the default stays.
	owner, _ := r.st.UserByName(ctx, "owner")
	if _, err := r.svc.Create(ctx, instance.Spec{Name: "crasher", OwnerID: owner.ID, Args: []string{"-norestart", "-fakecrash"}}); err != nil {
		t.Fatal(err)
	}
	inst := r.root.Installations()
	if err := layout.HoldDefault(inst, "000001"); err != nil {
		t.Fatal(err)
	}
	r.generation(t, "000002", "")
	res, err := r.canary.Run(ctx, canary.Args{Instance: "crasher", Generation: "000002"}, 0, &logLines{})
	if err == nil || !res.Failed {
		t.Fatalf("canary that cannot start: %+v, %v", res, err)
	}
	if d, _ := layout.Default(inst); d != "000001" {
		t.Errorf("default after a canary that could not start = %q", d)
	}
	if st, _ := r.svc.Status(ctx, "crasher"); st.State == instance.Running {
		t.Errorf("the crasher is %s after its canary", st.State)
	}
	if in, _ := r.svc.Get(ctx, "crasher"); len(in.Pins) != 0 {
		t.Errorf("the crasher keeps pins %v", in.Pins)
	}
}

package content

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/jobs"
	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/steamcmd"
	"github.com/left4me/left4me/internal/store"
)

func TestRegisterJobs(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	steam, srcds := binaries(t)
	m, err := jobs.New(ctx, e.st.DB(), jobs.Config{
		Workers: 2, RetryBase: 10 * time.Millisecond, RetryMax: 50 * time.Millisecond,
		Heartbeat: 100 * time.Millisecond, OrphanAfter: time.Second, RescueGrace: 2 * time.Second,
		FlushInterval: 20 * time.Millisecond, PollInterval: 50 * time.Millisecond,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	runner := func(context.Context) (steamcmd.Runner, error) {
		return steamcmd.Direct{Path: steam, Env: []string{"FAKESTEAMCMD_SRCDS=" + srcds}}, nil
	}
	if err := RegisterJobs(m, e.svc, runner); err != nil {
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
	wait := func(id int64) jobs.Job {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) {
			j, err := m.Get(ctx, id)
			if err == nil && j.State.Finished() {
				return j
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("job %d did not finish", id)
		return jobs.Job{}
	}

	id, _, err := m.Enqueue(ctx, KindInstall, InstallArgs{}, jobs.EnqueueOpts{UserID: e.user, Unique: true})
	if err != nil {
		t.Fatal(err)
	}
	j := wait(id)
	if j.State != jobs.StateSucceeded || j.Progress != 1 || !strings.Contains(j.Log, "Success! App '222860' fully installed.") {
		t.Errorf("install job: state %s progress %v message %q\n%s", j.State, j.Progress, j.Message, j.Log)
	}
	if g, _ := layout.Newest(e.root.Installations()); g == "" {
		t.Error("no installation generation after the job")
	}

	e.svc.CreateScript(ctx, store.Layer{ID: "cfgs", Script: "echo from-the-job\nmkdir -p left4dead2/cfg\ntouch left4dead2/cfg/a.cfg\n"})
	id, _, _ = m.Enqueue(ctx, KindOverlayBuild, BuildArgs{LayerID: "cfgs"}, jobs.EnqueueOpts{UserID: e.user})
	if j := wait(id); j.State != jobs.StateSucceeded || !strings.Contains(j.Log, "from-the-job") {
		t.Errorf("build job: %s\n%s", j.State, j.Log)
	}
	// A layer that does not exist fails at once, without retries.
	id, _, _ = m.Enqueue(ctx, KindOverlayBuild, BuildArgs{LayerID: "missing"}, jobs.EnqueueOpts{})
	if j := wait(id); j.State != jobs.StateFailed || j.Attempt != 1 {
		t.Errorf("build of a missing layer: %s after %d attempts", j.State, j.Attempt)
	}
	// The daily GC also runs the other prunes (the audit log's retention).
	e.svc.cfg.Prune = []func(context.Context) (string, error){
		func(context.Context) (string, error) { return "pruned 3 audit entries", nil },
	}
	id, _, _ = m.Enqueue(ctx, KindGC, nil, jobs.EnqueueOpts{})
	if j := wait(id); j.State != jobs.StateSucceeded || !strings.Contains(j.Log, "pruned 3 audit entries") {
		t.Errorf("gc job: %s\n%s", j.State, j.Log)
	}
}

// TestEnqueueIsUnique: a second install or build of the same layer while
// the first is queued answers the first job; another layer is its own job.
func TestEnqueueIsUnique(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	m, err := jobs.New(ctx, e.st.DB(), jobs.Config{}, nil) // no workers: jobs stay queued
	if err != nil {
		t.Fatal(err)
	}
	i1, dup, err := EnqueueInstall(ctx, m, InstallArgs{}, e.user)
	if err != nil || dup {
		t.Fatalf("first install: %d %v %v", i1, dup, err)
	}
	if i2, dup, err := EnqueueInstall(ctx, m, InstallArgs{}, 0); err != nil || !dup || i2 != i1 {
		t.Errorf("second install = %d (dup %v, %v), want job %d", i2, dup, err, i1)
	}
	b1, dup, err := EnqueueBuild(ctx, m, "cfgs", e.user)
	if err != nil || dup {
		t.Fatalf("first build: %d %v %v", b1, dup, err)
	}
	if b2, dup, err := EnqueueBuild(ctx, m, "cfgs", e.user); err != nil || !dup || b2 != b1 {
		t.Errorf("second build = %d (dup %v, %v), want job %d", b2, dup, err, b1)
	}
	if b3, dup, err := EnqueueBuild(ctx, m, "maps", e.user); err != nil || dup || b3 == b1 {
		t.Errorf("build of another layer = %d (dup %v, %v)", b3, dup, err)
	}
	j, err := m.Get(ctx, b1)
	if err != nil || j.Kind != KindOverlayBuild || j.UserID != e.user {
		t.Errorf("build job = %+v, %v", j, err)
	}
}

package content

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/canary"
	"github.com/left4me/left4me/internal/jobs"
	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/steamcmd"
)

// TestInstallJobWithCanary: an install job asked for with a canary keeps
// the current default generation the default when it publishes a new one,
// and queues the canary job of the new generation on the named instance;
// one without a canary makes the new generation the default.
func TestInstallJobWithCanary(t *testing.T) {
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
	// The canary job itself is internal/canary's (tested there): here it
	// only records what it was asked to try.
	var mu sync.Mutex
	var tried []canary.Args
	if err := m.Register(canary.Kind, func(ctx context.Context, run *jobs.Run) error {
		var a canary.Args
		if err := run.Args(&a); err != nil {
			return err
		}
		mu.Lock()
		tried = append(tried, a)
		mu.Unlock()
		return nil
	}, jobs.KindOptions{MaxAttempts: 1}); err != nil {
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
		deadline := time.Now().Add(90 * time.Second)
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
	inst := e.root.Installations()
	install := func(a InstallArgs) {
		t.Helper()
		id, _, err := EnqueueInstall(ctx, m, a, e.user)
		if err != nil {
			t.Fatal(err)
		}
		if j := wait(id); j.State != jobs.StateSucceeded {
			t.Fatalf("install %+v: %s\n%s", a, j.State, j.Log)
		}
	}
	install(InstallArgs{})
	g1, _ := layout.Newest(inst)
	install(InstallArgs{Validate: true, Canary: "pilot"})
	g2, _ := layout.Newest(inst)
	if g2 == g1 {
		t.Fatal("the validating install published no new generation")
	}
	if d, _ := layout.Default(inst); d != g1 {
		t.Errorf("default after an install with a canary = %q, want the old %q", d, g1)
	}
	var canaryJob jobs.Job
	deadline := time.Now().Add(30 * time.Second)
	for canaryJob.ID == 0 && time.Now().Before(deadline) {
		list, err := m.List(ctx, jobs.Filter{Kind: canary.Kind})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) > 0 {
			canaryJob = wait(list[0].ID)
		}
	}
	var a canary.Args
	if err := json.Unmarshal(canaryJob.Args, &a); err != nil || a != (canary.Args{Instance: "pilot", Generation: g2}) {
		t.Errorf("canary job args %s (%v), want pilot on %s", canaryJob.Args, err, g2)
	}
	mu.Lock()
	if len(tried) != 1 {
		t.Errorf("canary jobs run: %v", tried)
	}
	mu.Unlock()
	// An install without a canary ends the hold: its generation is the
	// default.
	install(InstallArgs{Validate: true})
	g3, _ := layout.Newest(inst)
	if d, _ := layout.Default(inst); d != g3 || layout.HeldDefault(inst) != "" {
		t.Errorf("default after a plain install = %q, want the newest %q", d, g3)
	}
}

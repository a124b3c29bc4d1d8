package jobs

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/store"
)

// crashChildEnv makes the test binary act as a panel that works jobs until
// it is killed (TestJobSurvivesProcessKill).
const crashChildEnv = "LEFT4ME_JOBS_CRASH_CHILD_DB"

func TestMain(m *testing.M) {
	if path := os.Getenv(crashChildEnv); path != "" {
		os.Exit(crashChild(path))
	}
	os.Exit(m.Run())
}

// crashKinds are the kinds of the crash test: one that may retry, one with
// a single attempt.
var crashKinds = map[string]KindOptions{
	"crashy":      {MaxAttempts: 3},
	"crashy_once": {MaxAttempts: 1},
}

// crashChild works the crash kinds with handlers that report progress and
// then block; it never returns on its own.
func crashChild(path string) int {
	ctx := context.Background()
	st, err := store.Open(ctx, path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child: open store:", err)
		return 1
	}
	m, err := New(ctx, st.DB(), testConfig(), nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child: New:", err)
		return 1
	}
	for kind, opts := range crashKinds {
		err := m.Register(kind, func(ctx context.Context, run *Run) error {
			run.Logf("child pid %d working on attempt %d", os.Getpid(), run.Attempt())
			run.Progress(0.3, "working in the child")
			<-ctx.Done()
			return ctx.Err()
		}, opts)
		if err != nil {
			fmt.Fprintln(os.Stderr, "child: Register:", err)
			return 1
		}
	}
	if err := m.Start(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "child: Start:", err)
		return 1
	}
	select {}
}

// TestJobSurvivesProcessKill runs jobs in a child process, kills it with
// SIGKILL mid-job, then starts workers here: the job with attempts left is
// retried and succeeds, the one without is failed; neither stays running.
func TestJobSurvivesProcessKill(t *testing.T) {
	path := filepath.Join(t.TempDir(), "left4me.db")
	st := openDB(t, path)
	m, err := New(context.Background(), st.DB(), testConfig(), testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	var retried, onceRan atomic.Int32
	if err := m.Register("crashy", func(ctx context.Context, run *Run) error {
		retried.Add(1)
		run.Logf("parent finishing attempt %d", run.Attempt())
		return nil
	}, crashKinds["crashy"]); err != nil {
		t.Fatal(err)
	}
	if err := m.Register("crashy_once", func(ctx context.Context, run *Run) error {
		onceRan.Add(1)
		return nil
	}, crashKinds["crashy_once"]); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	retryID, _, err := m.Enqueue(ctx, "crashy", nil, EnqueueOpts{UserID: 1})
	if err != nil {
		t.Fatal(err)
	}
	onceID, _, err := m.Enqueue(ctx, "crashy_once", nil, EnqueueOpts{UserID: 1})
	if err != nil {
		t.Fatal(err)
	}

	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), crashChildEnv+"="+path)
	var childErr bytes.Buffer
	child.Stdout, child.Stderr = &childErr, &childErr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	defer func() {
		if !killed {
			child.Process.Kill()
			child.Wait()
		}
		if t.Failed() {
			t.Logf("child output:\n%s", childErr.String())
		}
	}()
	for _, id := range []int64{retryID, onceID} {
		waitFor(t, m, id, "running in the child", func(j Job) bool {
			return j.State == StateRunning && j.Progress > 0.29
		})
	}
	if err := child.Process.Kill(); err != nil { // SIGKILL: no cleanup at all
		t.Fatal(err)
	}
	child.Wait()
	killed = true
	for _, id := range []int64{retryID, onceID} {
		if j, err := m.Get(ctx, id); err != nil || j.State != StateRunning {
			t.Fatalf("job %d after the kill: %s, %v; the test wants it left running", id, j.State, err)
		}
	}

	start(t, m)
	j := waitState(t, m, retryID, StateSucceeded)
	if j.Attempt != 2 || retried.Load() != 1 {
		t.Errorf("retried job: attempt %d, parent ran it %d times; want 2 and 1", j.Attempt, retried.Load())
	}
	if len(j.Errors) != 1 || !strings.Contains(j.Errors[0].Error, "no heartbeat") {
		t.Errorf("retried job errors: %+v", j.Errors)
	}
	for _, want := range []string{"child pid", "attempt 1 lost", "parent finishing attempt 2", "attempt 2 succeeded"} {
		if !strings.Contains(j.Log, want) {
			t.Errorf("retried job log lacks %q:\n%s", want, j.Log)
		}
	}
	j = waitState(t, m, onceID, StateFailed)
	if j.Attempt != 1 || onceRan.Load() != 0 || !strings.Contains(j.Log, "no attempts left") || j.FinishedAt.IsZero() {
		t.Errorf("single-attempt job: attempt %d, ran %d times here, log:\n%s", j.Attempt, onceRan.Load(), j.Log)
	}
	if j.UserID != 1 {
		t.Errorf("user id lost: %d", j.UserID)
	}
}

// TestLiveJobIsNotTakenOver runs a job longer than OrphanAfter in one
// Manager while a second one on the same database sweeps for orphans: the
// heartbeat keeps it from being taken for dead. Both register the kind
// (whichever fetches the job runs it, the other sweeps): river's rescuer
// runs only in the elected leader and discards a running job of a kind the
// leader does not know (Config.RescueGrace).
func TestLiveJobIsNotTakenOver(t *testing.T) {
	path := filepath.Join(t.TempDir(), "left4me.db")
	cfg := testConfig()
	managers := make([]*Manager, 2)
	var runs atomic.Int32
	for i := range managers {
		st := openDB(t, path)
		m, err := New(context.Background(), st.DB(), cfg, testLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Register("long", func(ctx context.Context, run *Run) error {
			runs.Add(1)
			select {
			case <-time.After(5 * cfg.OrphanAfter / 2):
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}, KindOptions{}); err != nil {
			t.Fatal(err)
		}
		start(t, m)
		managers[i] = m
	}
	id, _, err := managers[1].Enqueue(context.Background(), "long", nil, EnqueueOpts{})
	if err != nil {
		t.Fatal(err)
	}
	j := waitState(t, managers[1], id, StateSucceeded)
	if j.Attempt != 1 || len(j.Errors) != 0 || runs.Load() != 1 {
		t.Errorf("live job: attempt %d, errors %+v, ran %d times; want one clean attempt", j.Attempt, j.Errors, runs.Load())
	}
}

// TestCancelFromAnotherProcess cancels, through a Manager that never
// starts (the CLI), a job that another Manager (the panel) is running.
func TestCancelFromAnotherProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "left4me.db")
	panel, err := New(context.Background(), openDB(t, path).DB(), testConfig(), testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := panel.Register("long", func(ctx context.Context, run *Run) error {
		run.Progress(0.2, "waiting")
		<-ctx.Done()
		return ctx.Err()
	}, KindOptions{}); err != nil {
		t.Fatal(err)
	}
	start(t, panel)
	cli, err := New(context.Background(), openDB(t, path).DB(), testConfig(), testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	id, _, err := cli.Enqueue(ctx, "long", nil, EnqueueOpts{})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, cli, id, "running", func(j Job) bool { return j.State == StateRunning && j.Progress > 0.1 })
	if err := cli.Cancel(ctx, id); err != nil {
		t.Fatal(err)
	}
	j := waitState(t, cli, id, StateCancelled)
	if j.Attempt != 1 || !strings.Contains(j.Log, "attempt 1 cancelled") {
		t.Errorf("cancelled job: attempt %d, log:\n%s", j.Attempt, j.Log)
	}
}

// TestStopPutsRunningJobsBack stops the workers while a job runs: the job
// is not left running, and the next Start runs it again.
func TestStopPutsRunningJobsBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "left4me.db")
	db := openDB(t, path).DB()
	ctx := context.Background()
	var runs atomic.Int32
	newPanel := func(finish bool) *Manager {
		m, err := New(ctx, db, testConfig(), testLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Register("long", func(ctx context.Context, run *Run) error {
			runs.Add(1)
			run.Progress(0.2, "working")
			if finish {
				return nil
			}
			<-ctx.Done()
			return ctx.Err()
		}, KindOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := m.Start(ctx); err != nil {
			t.Fatal(err)
		}
		return m
	}
	first := newPanel(false)
	id, _, err := first.Enqueue(ctx, "long", nil, EnqueueOpts{})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, first, id, "running", func(j Job) bool { return j.State == StateRunning && j.Progress > 0.1 })
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := first.Stop(sctx); err != nil {
		t.Fatal(err)
	}
	if j, err := first.Get(ctx, id); err != nil || j.State == StateRunning || j.State.Finished() {
		t.Fatalf("after Stop: %s, %v; want waiting to run again", j.State, err)
	}
	second := newPanel(true)
	defer second.Stop(ctx)
	waitState(t, second, id, StateSucceeded)
	if runs.Load() != 2 {
		t.Errorf("handler ran %d times, want 2", runs.Load())
	}
}

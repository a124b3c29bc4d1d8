package workshop

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/jobs"
)

// newJobManager returns a job manager over the fixture's database with the
// workshop kinds registered; it is not started.
func newJobManager(t *testing.T, f *fixture) *jobs.Manager {
	t.Helper()
	m, err := jobs.New(context.Background(), f.st.DB(), jobs.Config{
		Workers: 2, MaxAttempts: 3,
		RetryBase: 10 * time.Millisecond, RetryMax: 50 * time.Millisecond,
		Heartbeat: 100 * time.Millisecond, OrphanAfter: time.Second, RescueGrace: 2 * time.Second,
		FlushInterval: 20 * time.Millisecond, PollInterval: 50 * time.Millisecond,
	}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := RegisterJobs(m, f.svc); err != nil {
		t.Fatal(err)
	}
	return m
}

func startJobs(t *testing.T, m *jobs.Manager) {
	t.Helper()
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		m.Stop(ctx)
	})
}

// waitJob polls until job id is finished (a guard against hanging, not a
// timing assertion).
func waitJob(t *testing.T, m *jobs.Manager, id int64) jobs.Job {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for time.Now().Before(deadline) {
		j, err := m.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if j.State.Finished() {
			return j
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("job %d did not finish", id)
	return jobs.Job{}
}

func TestJobs(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.item(t, 1, "One", 100, "one_m1")
	other := f.item(t, 2, "Other game", 100)
	other.AppID = 730
	f.fake.SetItem(other)
	m := newJobManager(t, f)

	// Bad input is refused before anything is queued.
	if _, err := EnqueueAdd(ctx, m, "Bad!", []string{"1"}, 0); err == nil {
		t.Error("bad layer id queued")
	}
	if _, err := EnqueueAdd(ctx, m, "maps", []string{"nope"}, 0); err == nil {
		t.Error("bad ref queued")
	}

	// Two refreshes asked for before the workers run: the second is a no-op.
	r1, dup1, err := EnqueueRefresh(ctx, m, 0)
	if err != nil || dup1 {
		t.Fatalf("first refresh: %d %v %v", r1, dup1, err)
	}
	r2, dup2, err := EnqueueRefresh(ctx, m, 0)
	if err != nil || !dup2 || r2 != r1 {
		t.Errorf("second refresh: id %d (first %d), duplicate %v, %v", r2, r1, dup2, err)
	}

	add, err := EnqueueAdd(ctx, m, "maps", []string{"https://steamcommunity.com/sharedfiles/filedetails/?id=1"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	wrong, err := EnqueueAdd(ctx, m, "other", []string{"2"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	startJobs(t, m)

	j := waitJob(t, m, add)
	if j.State != jobs.StateSucceeded || j.Progress != 1 || !strings.Contains(j.Log, "item 1 revision 100 downloaded") {
		t.Errorf("add job: %s progress %v log:\n%s", j.State, j.Progress, j.Log)
	}
	if _, err := os.Stat(ItemVPK(f.root, 1, "100")); err != nil {
		t.Error(err)
	}
	j = waitJob(t, m, wrong)
	if j.State != jobs.StateFailed || j.Attempt != 1 || len(j.Errors) == 0 || !strings.Contains(j.Errors[0].Error, "not a Left 4 Dead 2") {
		t.Errorf("wrong-app job: %s after %d attempt(s), errors %+v", j.State, j.Attempt, j.Errors)
	}
	if j := waitJob(t, m, r1); j.State != jobs.StateSucceeded {
		t.Errorf("refresh job: %s %+v", j.State, j.Errors)
	}

	// A refresh whose downloads fail for longer than the downloader's own
	// retries is retried by the job system and then succeeds.
	f.item(t, 1, "One", 200, "one_m1")
	f.fake.FailNext(1 + fastRetry.Attempts) // details once, then every file attempt
	r3, _, err := EnqueueRefresh(ctx, m, 0)
	if err != nil {
		t.Fatal(err)
	}
	j = waitJob(t, m, r3)
	if j.State != jobs.StateSucceeded || j.Attempt < 2 {
		t.Errorf("retried refresh: %s after %d attempt(s), errors %+v", j.State, j.Attempt, j.Errors)
	}
	if _, err := os.Stat(ItemVPK(f.root, 1, "200")); err != nil {
		t.Error(err)
	}
}

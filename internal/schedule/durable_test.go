package schedule

import (
	"context"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/jobs"
)

// TestRunSurvivesPanelRestart: a when-empty restart waiting for a player
// when the panel stops is taken up by the next panel on the same database
// (its wait counted from the slot, not anew) and restarts once, there.
func TestRunSurvivesPanelRestart(t *testing.T) {
	si := startStandIn(t, 1)
	si.refresh(t)
	loc := time.UTC
	slot := time.Date(2026, 6, 1, 4, 0, 0, 0, loc)
	path := filepath.Join(t.TempDir(), "left4me.db")
	a := newTestEnvAt(t, path, loc, slot.Add(-time.Minute), withStandIn(si))
	a.startWorkers()
	a.add(Spec{Action: "restart", When: "04:00", Policy: "when-empty", MaxWait: "2h", OnTimeout: "skip"})
	a.clock.Set(slot)
	if q, err := a.svc.Tick(context.Background()); err != nil || q != 1 {
		t.Fatalf("queued %d (%v)", q, err)
	}
	a.clock.waitWaiters(t, 1) // waiting for the player
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.jobs.Stop(ctx); err != nil { // the panel stops
		t.Fatal(err)
	}
	b := newTestEnvAt(t, path, loc, slot.Add(10*time.Minute), withStandIn(si))
	b.startWorkers()
	b.clock.waitWaiters(t, 1) // the new panel's attempt waits for the player too
	if q, err := b.svc.Tick(context.Background()); err != nil || q != 0 {
		t.Fatalf("the new panel queued %d (%v), want 0", q, err)
	}
	if _, err := si.admin.Exec(context.Background(), "kick Ellie", false); err != nil {
		t.Fatal(err)
	}
	si.refresh(t)
	b.clock.Advance(b.cfg.PollEvery)
	list := b.runJobs()
	if len(list) != 1 {
		t.Fatalf("%d jobs, want 1", len(list))
	}
	j := b.waitJob(list[0].ID)
	if j.State != jobs.StateSucceeded {
		t.Fatalf("job %s after %d attempts: %+v", j.State, j.Attempt, j.Errors)
	}
	if got := a.rec.done(); len(got) != 0 {
		t.Fatalf("the stopped panel acted: %v", got)
	}
	if got := b.rec.done(); len(got) != 1 || got[0] != "restart alpha" {
		t.Fatalf("actions %v, want one restart by the new panel", got)
	}
}

// TestRollingRestartEachWhenEmpty: the rolling restart restarts the stale
// instances nobody plays on at once, at most Parallel at a time, and the
// one with a player only after the player has left.
func TestRollingRestartEachWhenEmpty(t *testing.T) {
	si := startStandIn(t, 1)
	si.refresh(t)
	names := []string{"alpha", "beta", "delta", "gamma", "omega"}
	e := newTestEnv(t, time.UTC, time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC), func(c *Config) {
		withStandIn(si)(c)
		polled := c.Humans // only alpha is on the stand-in; the others answered empty
		c.Humans = HumansFunc(func(name string) (int, bool) {
			if name == "alpha" {
				return polled.Humans(name)
			}
			return 0, true
		})
		c.Stale = func(context.Context) ([]string, error) { return names, nil }
	})
	for _, n := range names[1:] {
		e.rec.add(instance.Instance{Name: n}, instance.Running)
	}
	var mu sync.Mutex
	inflight, most := 0, 0
	gate := make(chan struct{})
	entered := make(chan string, 10)
	e.rec.onDo = func(a instance.Action, name string) {
		mu.Lock()
		inflight++
		most = max(most, inflight)
		mu.Unlock()
		entered <- name
		<-gate
		mu.Lock()
		inflight--
		mu.Unlock()
	}
	e.startWorkers()
	id, dup, err := e.svc.EnqueueRollingRestart(context.Background(), RollingSpec{Parallel: 2}, 0)
	if err != nil || dup {
		t.Fatalf("enqueue: %v %v", err, dup)
	}
	if id2, dup, err := e.svc.EnqueueRollingRestart(context.Background(), RollingSpec{}, 0); err != nil || !dup || id2 != id {
		t.Fatalf("a second rolling restart while one runs: %d %v %v, want the same job", id2, dup, err)
	}
	for range 2 { // the four empty ones go through two at a time
		<-entered
		<-entered
		gate <- struct{}{}
		gate <- struct{}{}
	}
	e.clock.waitWaiters(t, 1) // alpha's player keeps it waiting
	if got := e.rec.done(); len(got) != 4 || slices.Contains(got, "restart alpha") {
		t.Fatalf("restarted %v, want the four empty ones", got)
	}
	if _, err := si.admin.Exec(context.Background(), "kick Ellie", false); err != nil {
		t.Fatal(err)
	}
	si.refresh(t)
	close(gate)
	e.clock.Advance(e.cfg.PollEvery)
	if j := e.waitJob(id); j.State != jobs.StateSucceeded {
		t.Fatalf("job %s: %+v", j.State, j.Errors)
	}
	got := e.rec.done()
	if len(got) != 5 || got[4] != "restart alpha" {
		t.Fatalf("restarted %v, want alpha last", got)
	}
	if most != 2 {
		t.Errorf("at most %d restarts at once, want 2", most)
	}
	if _, _, err := e.svc.EnqueueRollingRestart(context.Background(), RollingSpec{Parallel: -1}, 0); err == nil {
		t.Error("parallel -1 accepted")
	}
	if _, _, err := e.svc.EnqueueRollingRestart(context.Background(), RollingSpec{MaxWait: "-1m"}, 0); err == nil {
		t.Error("max_wait -1m accepted")
	}
}

// TestWhenEmptyWaitsForAFirstAnswer: an instance the live view has no
// answer for yet (the panel just started) is not taken for empty: the
// when-empty run waits for a first answer, then acts.
func TestWhenEmptyWaitsForAFirstAnswer(t *testing.T) {
	slot := time.Date(2026, 6, 1, 4, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	known := false
	e := newTestEnv(t, time.UTC, slot.Add(-time.Minute), func(c *Config) {
		c.Humans = HumansFunc(func(string) (int, bool) {
			mu.Lock()
			defer mu.Unlock()
			return 0, known
		})
	})
	e.startWorkers()
	e.add(Spec{Action: "restart", When: "04:00", Policy: "when-empty", MaxWait: "1h"})
	e.clock.Set(slot)
	if q, err := e.svc.Tick(context.Background()); err != nil || q != 1 {
		t.Fatalf("queued %d (%v)", q, err)
	}
	e.clock.waitWaiters(t, 1)
	e.clock.Advance(e.cfg.PollEvery)
	e.clock.waitWaiters(t, 1)
	if got := e.rec.done(); len(got) != 0 {
		t.Fatalf("acted without an answer from the server: %v", got)
	}
	mu.Lock()
	known = true
	mu.Unlock()
	e.clock.Advance(e.cfg.PollEvery)
	if j := e.waitJob(e.runJobs()[0].ID); j.State != jobs.StateSucceeded {
		t.Fatalf("job %s: %+v", j.State, j.Errors)
	}
	if got := e.rec.done(); len(got) != 1 {
		t.Fatalf("actions %v, want one restart", got)
	}
}

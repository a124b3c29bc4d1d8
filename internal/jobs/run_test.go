package jobs

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// Run runs jobs while its context lives; when it ends, a running job's
// context is cancelled and Run returns after the handler has, with the job
// put back to run again.
func TestRunStopsWithItsContext(t *testing.T) {
	m := newManager(t, testConfig())
	started := make(chan struct{}, 1)
	if err := m.Register("hold", func(ctx context.Context, run *Run) error {
		started <- struct{}{}
		<-ctx.Done()
		return ctx.Err()
	}, KindOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := m.Register("quick", func(ctx context.Context, run *Run) error { return nil }, KindOptions{}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()

	quick, _, err := m.Enqueue(context.Background(), "quick", nil, EnqueueOpts{})
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, m, quick, StateSucceeded)
	hold, _, err := m.Enqueue(context.Background(), "hold", nil, EnqueueOpts{})
	if err != nil {
		t.Fatal(err)
	}
	<-started
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run after cancel: %v", err)
	}
	j, err := m.Get(context.Background(), hold)
	if err != nil {
		t.Fatal(err)
	}
	if j.State != StateRetrying && j.State != StateQueued {
		t.Errorf("job running at stop is %s, want it put back to run again", j.State)
	}
}

// TestOwnDeadlineErrorFails: a handler that fails with an error wrapping
// context.DeadlineExceeded from a deadline of its own (an HTTP client's
// timeout), well before the kind's timeout, fails; it did not succeed.
func TestOwnDeadlineErrorFails(t *testing.T) {
	m := newManager(t, testConfig())
	if err := m.Register("own_deadline", func(ctx context.Context, run *Run) error {
		short, cancel := context.WithTimeout(ctx, time.Millisecond)
		defer cancel()
		<-short.Done()
		return fmt.Errorf("post: %w", short.Err())
	}, KindOptions{MaxAttempts: 1}); err != nil {
		t.Fatal(err)
	}
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Stop(context.Background()) })
	id, _, err := m.Enqueue(context.Background(), "own_deadline", nil, EnqueueOpts{})
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, m, id, StateFailed)
}

// TestQueuesRefuseBadConfig: a queue needs a valid name and workers, and
// an enqueue names only a configured queue.
func TestQueuesRefuseBadConfig(t *testing.T) {
	ctx := context.Background()
	for _, q := range []map[string]int{{"default": 2}, {"Bad Name": 1}, {"hooks": 0}} {
		cfg := testConfig()
		cfg.Queues = q
		if err := cfg.withDefaults().validate(); err == nil {
			t.Errorf("queues %v accepted", q)
		}
	}
	cfg := testConfig()
	cfg.Queues = map[string]int{"hooks": 1}
	m := newManager(t, cfg)
	if _, _, err := m.Enqueue(ctx, "x", nil, EnqueueOpts{Queue: "other"}); err == nil {
		t.Error("an enqueue into an unconfigured queue was accepted")
	}
	if _, _, err := m.Enqueue(ctx, "x", nil, EnqueueOpts{Queue: "hooks"}); err != nil {
		t.Errorf("enqueue into a configured queue: %v", err)
	}
}

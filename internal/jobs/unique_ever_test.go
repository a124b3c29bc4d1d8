package jobs

import (
	"context"
	"testing"
)

// TestUniqueEverOutlivesTheJob: with UniqueEver a job of the same kind and
// args is refused after the first finished too (one schedule's slot runs
// once).
func TestUniqueEverOutlivesTheJob(t *testing.T) {
	m := newManager(t, testConfig())
	runs := make(chan struct{}, 4)
	if err := m.Register(kindRefresh, func(ctx context.Context, run *Run) error {
		runs <- struct{}{}
		return nil
	}, KindOptions{}); err != nil {
		t.Fatal(err)
	}
	start(t, m)
	ctx := context.Background()
	slot := map[string]any{"schedule_id": 7, "slot": "2026-06-01T04:00:00Z"}
	first, dup, err := m.Enqueue(ctx, kindRefresh, slot, EnqueueOpts{UniqueEver: true})
	if err != nil || dup {
		t.Fatalf("first: %d %v %v", first, dup, err)
	}
	waitState(t, m, first, StateSucceeded)
	again, dup, err := m.Enqueue(ctx, kindRefresh, slot, EnqueueOpts{UniqueEver: true})
	if err != nil || !dup || again != first {
		t.Fatalf("after it succeeded: id %d dup %v err %v; want %d true", again, dup, err, first)
	}
	next, dup, err := m.Enqueue(ctx, kindRefresh, map[string]any{"schedule_id": 7, "slot": "2026-06-02T04:00:00Z"}, EnqueueOpts{UniqueEver: true})
	if err != nil || dup || next == first {
		t.Fatalf("the next slot: id %d dup %v err %v", next, dup, err)
	}
	waitState(t, m, next, StateSucceeded)
	if n := len(runs); n != 2 {
		t.Fatalf("%d runs, want 2", n)
	}
}

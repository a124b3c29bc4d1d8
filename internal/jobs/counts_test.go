package jobs

import (
	"context"
	"errors"
	"testing"
)

// TestCounts: the counts per kind and state agree with what List shows,
// including a permanent failure (river's cancelled) and a cancellation.
func TestCounts(t *testing.T) {
	m := newManager(t, testConfig())
	ctx := context.Background()
	if err := m.Register("fail", func(ctx context.Context, run *Run) error { return Permanent(errors.New("no")) }, KindOptions{}); err != nil {
		t.Fatal(err)
	}
	start(t, m)
	failed, _, err := m.Enqueue(ctx, "fail", nil, EnqueueOpts{})
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, m, failed, StateFailed)
	var ids []int64
	for i := range 3 {
		id, _, err := m.Enqueue(ctx, "install", map[string]int{"i": i}, EnqueueOpts{})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := m.Cancel(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	got, err := m.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	have := map[Count]bool{}
	for _, c := range got {
		have[c] = true
	}
	for _, want := range []Count{{"fail", StateFailed, 1}, {"install", StateQueued, 2}, {"install", StateCancelled, 1}} {
		if !have[want] {
			t.Errorf("counts %+v lack %+v", got, want)
		}
	}
	if len(got) != 3 {
		t.Errorf("counts %+v: want three", got)
	}
}

package jobs

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
)

// benchManager returns a Manager on a fresh database for a benchmark.
func benchManager(b *testing.B) *Manager {
	b.Helper()
	st, err := openStore(filepath.Join(b.TempDir(), "left4me.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	m, err := New(context.Background(), st.DB(), testConfig(), nil)
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// BenchmarkEnqueue measures adding a job (one river insert).
func BenchmarkEnqueue(b *testing.B) {
	m := benchManager(b)
	ctx := context.Background()
	i := 0
	for b.Loop() {
		i++
		if _, _, err := m.Enqueue(ctx, "bench", map[string]int{"i": i}, EnqueueOpts{UserID: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEnqueueUniqueDuplicate measures the no-op of a duplicate
// unique enqueue (the "refresh while one is queued" case).
func BenchmarkEnqueueUniqueDuplicate(b *testing.B) {
	m := benchManager(b)
	ctx := context.Background()
	if _, _, err := m.Enqueue(ctx, kindRefresh, nil, EnqueueOpts{Unique: true}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, dup, err := m.Enqueue(ctx, kindRefresh, nil, EnqueueOpts{Unique: true}); err != nil || !dup {
			b.Fatalf("dup %v err %v", dup, err)
		}
	}
}

// BenchmarkJobRoundTrip measures a job from Enqueue to its handler having
// run, with a progress update and a log line, through a started worker.
func BenchmarkJobRoundTrip(b *testing.B) {
	m := benchManager(b)
	var wg sync.WaitGroup
	if err := m.Register("bench", func(ctx context.Context, run *Run) error {
		run.Progress(0.5, "half")
		run.Logf("working")
		wg.Done()
		return nil
	}, KindOptions{}); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if err := m.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer m.Stop(ctx)
	for b.Loop() {
		wg.Add(1)
		if _, _, err := m.Enqueue(ctx, "bench", nil, EnqueueOpts{}); err != nil {
			b.Fatal(err)
		}
		wg.Wait()
	}
}

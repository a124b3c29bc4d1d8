package instance

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestStartSlotsBoundAcrossProcesses: two slots values on one directory
// stand for two processes (each opens its own files). Together they hand out
// at most n slots; a waiter gets one as soon as one is given back, and gives
// up when its context ends.
func TestStartSlotsBoundAcrossProcesses(t *testing.T) {
	dir := t.TempDir()
	a, b := newSlots(dir, 2, nil), newSlots(dir, 2, nil)
	relA, err := a.acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	relB, err := b.acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*slotPoll)
	defer cancel()
	if _, err := a.acquire(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a third slot of two: %v, want the context's deadline", err)
	}
	got := make(chan error, 1)
	go func() {
		rel, err := b.acquire(context.Background())
		if err == nil {
			rel()
		}
		got <- err
	}()
	relA()
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a slot given back was not handed to the waiter")
	}
	relB()
}

// TestStartSlotsNeverExceeded: many concurrent users, from several
// "processes", never hold more than n slots at once, and all get one.
func TestStartSlotsNeverExceeded(t *testing.T) {
	for _, dir := range []string{"", t.TempDir()} {
		const n = 3
		procs := []*slots{newSlots(dir, n, nil), newSlots(dir, n, nil), newSlots(dir, n, nil)}
		if dir == "" {
			procs = procs[:1] // without a directory the bound is per process
		}
		var held, most, done atomic.Int32
		var wg sync.WaitGroup
		for i := range 30 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rel, err := procs[i%len(procs)].acquire(context.Background())
				if err != nil {
					t.Error(err)
					return
				}
				h := held.Add(1)
				for {
					m := most.Load()
					if h <= m || most.CompareAndSwap(m, h) {
						break
					}
				}
				time.Sleep(2 * time.Millisecond)
				held.Add(-1)
				rel()
				done.Add(1)
			}()
		}
		wg.Wait()
		if most.Load() > n || done.Load() != 30 {
			t.Errorf("dir %q: at most %d held at once (bound %d), %d of 30 done", dir, most.Load(), n, done.Load())
		}
	}
}

func TestDefaultStartSlots(t *testing.T) {
	if n := DefaultStartSlots(); n < 4 || n > 16 {
		t.Errorf("DefaultStartSlots() = %d, want 4..16", n)
	}
}

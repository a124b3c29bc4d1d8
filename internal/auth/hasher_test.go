package auth

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestHasherBoundsConcurrency: never more than the configured number of
// argon2id computations at once; those that wait too long get ErrHashBusy.
func TestHasherBoundsConcurrency(t *testing.T) {
	h := NewHasher(2, 50*time.Millisecond)
	// Hold both slots.
	r1, err := h.acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r2, err := h.acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Verify(context.Background(), "$argon2id$x", "pw"); !errors.Is(err, ErrHashBusy) {
		t.Fatalf("third check with both slots taken: %v, want ErrHashBusy", err)
	}
	if _, err := h.Hash(context.Background(), "password1"); !errors.Is(err, ErrHashBusy) {
		t.Fatalf("hash with both slots taken: %v, want ErrHashBusy", err)
	}
	r1()
	r2()

	hash, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	h = NewHasher(2, time.Minute)
	var running, peak atomic.Int32
	var wg sync.WaitGroup
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			release, err := h.acquire(context.Background())
			if err != nil {
				t.Error(err)
				return
			}
			n := running.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			err = VerifyPassword(hash, "wrong")
			running.Add(-1)
			release()
			if !errors.Is(err, ErrMismatch) {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if p := peak.Load(); p > 2 {
		t.Fatalf("%d computations ran at once, want at most 2", p)
	}
}

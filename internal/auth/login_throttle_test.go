package auth

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func fakeClock(t *LoginThrottle) (advance func(time.Duration)) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	t.Now = func() time.Time { return now }
	return func(d time.Duration) { now = now.Add(d) }
}

// TestLoginThrottleLimits: each of the three limits refuses on its own,
// with the wait until its oldest counted failure leaves the window.
func TestLoginThrottleLimits(t *testing.T) {
	for _, tc := range []struct {
		name   string
		limits LoginLimits
		guess  func(i int) (name, addr string)
		full   int
		other  [2]string // an attempt still allowed when the limit is full ("" : none)
	}{
		{"per name", LoginLimits{PerName: 3}, func(int) (string, string) { return "alice", "192.0.2.1" }, 3, [2]string{"bob", "192.0.2.1"}},
		{"per address", LoginLimits{PerAddress: 4}, func(i int) (string, string) { return fmt.Sprint("n", i), "192.0.2.1" }, 4, [2]string{"alice", "192.0.2.2"}},
		{"global", LoginLimits{Global: 5}, func(i int) (string, string) { return fmt.Sprint("n", i), fmt.Sprint("192.0.2.", i) }, 5, [2]string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			th := NewLoginThrottle(tc.limits)
			advance := fakeClock(th)
			for i := range tc.full {
				if _, ok, _ := th.Attempt(tc.guess(i)); !ok {
					t.Fatalf("attempt %d refused below the limit", i+1)
				}
				advance(time.Minute)
			}
			n, a := tc.guess(tc.full)
			if _, ok, wait := th.Attempt(n, a); ok || wait != DefaultLoginWindow-time.Duration(tc.full)*time.Minute {
				t.Fatalf("attempt past the limit: ok=%v wait=%v, want refused for %v", ok, wait, DefaultLoginWindow-time.Duration(tc.full)*time.Minute)
			}
			if tc.other[0] != "" {
				if _, ok, _ := th.Attempt(tc.other[0], tc.other[1]); !ok {
					t.Errorf("%s from %s refused by another's limit", tc.other[0], tc.other[1])
				}
			} else if _, ok, _ := th.Attempt("zed", "198.51.100.1"); ok {
				t.Error("a fresh name and address passed the global limit")
			}
			advance(DefaultLoginWindow)
			if _, ok, _ := th.Attempt(n, a); !ok {
				t.Error("still refused after the window")
			}
		})
	}
}

// TestLoginThrottleSuccessKeepsAddressCount: a successful login forgets
// its name's failures but takes back only its own count from the address,
// so owning one account does not reset a spray over other names.
func TestLoginThrottleSuccessKeepsAddressCount(t *testing.T) {
	th := NewLoginThrottle(LoginLimits{PerName: 3, PerAddress: 5})
	fakeClock(th)
	for i := range 4 {
		th.Attempt(fmt.Sprint("n", i), "192.0.2.1")
	}
	th.Attempt("alice", "192.0.2.1")
	th.Attempt("alice", "192.0.2.1") // refused: the address is full
	for range 2 {
		th.Attempt("mallory", "192.0.2.9")
	}
	a, ok, _ := th.Attempt("mallory", "192.0.2.9")
	if !ok {
		t.Fatal("third attempt for mallory refused")
	}
	th.Succeeded(a)
	if _, ok, _ := th.Attempt("mallory", "192.0.2.9"); !ok {
		t.Error("mallory's failures not forgotten after a success")
	}
	if _, ok, _ := th.Attempt("n9", "192.0.2.1"); ok {
		t.Error("the full address took another name")
	}
	// A success from the full address's neighbour does not free it either.
	th2 := NewLoginThrottle(LoginLimits{PerAddress: 3})
	fakeClock(th2)
	th2.Attempt("a", "192.0.2.1")
	th2.Attempt("b", "192.0.2.1")
	ok3, _, _ := th2.Attempt("alice", "192.0.2.1")
	th2.Succeeded(ok3)
	th2.Attempt("c", "192.0.2.1")
	if _, ok, _ := th2.Attempt("d", "192.0.2.1"); ok {
		t.Error("a success reset the address's other failures")
	}
}

// TestLoginThrottleCancel: an attempt that was never checked (the hasher
// was busy) counts against nothing.
func TestLoginThrottleCancel(t *testing.T) {
	th := NewLoginThrottle(LoginLimits{PerName: 2, PerAddress: 2, Global: 2})
	fakeClock(th)
	for range 10 {
		a, ok, _ := th.Attempt("alice", "192.0.2.1")
		if !ok {
			t.Fatal("refused after cancelled attempts")
		}
		th.Cancel(a)
	}
}

// TestLoginThrottleConcurrent: parallel attempts cannot all pass the check
// before any is counted.
func TestLoginThrottleConcurrent(t *testing.T) {
	th := NewLoginThrottle(LoginLimits{PerAddress: 7})
	var wg sync.WaitGroup
	var passed atomic.Int64
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, ok, _ := th.Attempt(fmt.Sprint("n", i), "192.0.2.1"); ok {
				passed.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := passed.Load(); n != 7 {
		t.Errorf("%d of 50 concurrent attempts passed, want 7", n)
	}
}

package auth

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestNewAPIToken(t *testing.T) {
	tok, hash, err := NewAPIToken()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok, APITokenPrefix) || !LooksLikeAPIToken(tok) {
		t.Errorf("token %q lacks the prefix or length", tok)
	}
	if HashSecret(tok) != hash || len(hash) != 64 {
		t.Errorf("hash %q does not match HashSecret", hash)
	}
	tok2, _, _ := NewAPIToken()
	if tok == tok2 {
		t.Error("two tokens are equal")
	}
}

func TestEqualSecrets(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{{"x", "x", true}, {"x", "y", false}, {"", "", false}, {"abc", "ab", false}} {
		if got := EqualSecrets(tc.a, tc.b); got != tc.want {
			t.Errorf("EqualSecrets(%q, %q) = %v", tc.a, tc.b, got)
		}
	}
}

func TestThrottle(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	th := NewThrottle(3, 15*time.Minute)
	th.Now = func() time.Time { return now }
	for i := range 3 {
		if ok, _ := th.Allow("alice|1.2.3.4"); !ok {
			t.Fatalf("attempt %d refused", i)
		}
		th.Fail("alice|1.2.3.4")
		now = now.Add(time.Minute)
	}
	ok, wait := th.Allow("alice|1.2.3.4")
	if ok || wait != 12*time.Minute {
		t.Fatalf("after 3 failures: ok=%v wait=%v, want refused for 12m", ok, wait)
	}
	if ok, _ := th.Allow("alice|5.6.7.8"); !ok {
		t.Error("another address is throttled too")
	}
	now = now.Add(12 * time.Minute)
	if ok, _ := th.Allow("alice|1.2.3.4"); !ok {
		t.Error("still refused after the oldest failure left the window")
	}
	th.Fail("bob|1")
	th.Reset("bob|1")
	if ok, _ := th.Allow("bob|1"); !ok {
		t.Error("refused after Reset")
	}
}

func TestThrottleAttemptCountsUpFront(t *testing.T) {
	th := NewThrottle(3, 15*time.Minute)
	var wg sync.WaitGroup
	var passed atomic.Int64
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ok, _ := th.Attempt("alice|1.2.3.4"); ok {
				passed.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := passed.Load(); n != 3 {
		t.Errorf("%d of 50 concurrent attempts passed, want 3", n)
	}
	th.Reset("alice|1.2.3.4")
	if ok, _ := th.Attempt("alice|1.2.3.4"); !ok {
		t.Error("refused after Reset")
	}
}

// TestThrottleCancelKeepsEarlierFailures: Cancel takes back one attempt
// only, so refusals that are not guesses cannot wipe a key's count.
func TestThrottleCancelKeepsEarlierFailures(t *testing.T) {
	th := NewThrottle(3, 15*time.Minute)
	th.Attempt("k")
	th.Attempt("k")
	th.Attempt("k")
	th.Cancel("k")
	if ok, _ := th.Attempt("k"); !ok {
		t.Fatal("the cancelled attempt still counts")
	}
	if ok, _ := th.Attempt("k"); ok {
		t.Error("Cancel forgot earlier failures")
	}
	th.Cancel("none") // a key without failures
}

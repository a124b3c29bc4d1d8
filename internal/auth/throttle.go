package auth

import (
	"sync"
	"time"
)

// Throttle limits failed attempts per key (the web layer uses it for wrong
// current passwords on the password form; logins have LoginThrottle):
// after Max failures inside Window, further attempts are
// refused until the oldest failure leaves the window. It lives in memory: a
// restart forgets it, which is acceptable for a single-process panel.
type Throttle struct {
	Max    int
	Window time.Duration
	Now    func() time.Time // time.Now when nil

	mu       sync.Mutex
	failures map[string][]time.Time
}

// NewThrottle returns a Throttle allowing max failures per window.
func NewThrottle(max int, window time.Duration) *Throttle {
	return &Throttle{Max: max, Window: window}
}

func (t *Throttle) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

// prune drops failures older than the window; t.mu must be held.
func (t *Throttle) prune(key string, now time.Time) []time.Time {
	list := t.failures[key]
	i := 0
	for i < len(list) && now.Sub(list[i]) >= t.Window {
		i++
	}
	list = list[i:]
	if len(list) == 0 {
		delete(t.failures, key)
		return nil
	}
	t.failures[key] = list
	return list
}

// Allow reports whether an attempt for key may proceed; when it may not, it
// also returns how long the caller should wait.
func (t *Throttle) Allow(key string) (ok bool, retryAfter time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.failures == nil {
		return true, 0
	}
	now := t.now()
	list := t.prune(key, now)
	if len(list) < t.Max {
		return true, 0
	}
	return false, t.Window - now.Sub(list[0])
}

// Attempt is Allow and Fail in one step: when the attempt may proceed it is
// counted as a failure straight away, and the caller forgets it with Reset
// once it has succeeded. Concurrent attempts therefore cannot all pass the
// check before any of them is counted, as they could with Allow followed
// by a slow password check and Fail.
func (t *Throttle) Attempt(key string) (ok bool, retryAfter time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.failures == nil {
		t.failures = make(map[string][]time.Time)
	}
	now := t.now()
	if list := t.prune(key, now); len(list) >= t.Max {
		return false, t.Window - now.Sub(list[0])
	}
	t.record(key, now)
	return true, 0
}

// Fail records a failed attempt for key.
func (t *Throttle) Fail(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.failures == nil {
		t.failures = make(map[string][]time.Time)
	}
	now := t.now()
	t.prune(key, now)
	t.record(key, now)
}

// record adds a failure at now; t.mu must be held and key pruned.
func (t *Throttle) record(key string, now time.Time) {
	t.failures[key] = append(t.failures[key], now)
	// Bound memory under a flood of distinct keys: forget stale keys now and then.
	if len(t.failures) > 10000 {
		for k := range t.failures {
			t.prune(k, now)
		}
	}
}

// Cancel takes back the newest failure of key: an Attempt that turned out
// not to be a guess (the password was never checked). Unlike Reset it
// keeps the key's earlier failures.
func (t *Throttle) Cancel(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if list := t.failures[key]; len(list) > 1 {
		t.failures[key] = list[:len(list)-1]
	} else {
		delete(t.failures, key)
	}
}

// Reset forgets the failures of key (after a successful login).
func (t *Throttle) Reset(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.failures, key)
}

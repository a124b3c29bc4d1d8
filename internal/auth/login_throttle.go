package auth

import (
	"sync"
	"time"
)

// Default sizes of the login limiter (docs/operations.md §3).
const (
	// DefaultLoginPerName is how many failed logins one name may have from
	// one address in a window. Reaching it refuses even the right password
	// for that name from that address until the window has passed.
	DefaultLoginPerName = 5
	// DefaultLoginPerAddress is how many failed logins one address may
	// have in a window, whatever the names: it stops spraying guesses over
	// many names.
	DefaultLoginPerAddress = 10
	// DefaultLoginGlobal is how many failed logins the panel accepts from
	// everywhere together in a window, which bounds guessing from many
	// addresses. Reaching it refuses every login until the window moves on.
	DefaultLoginGlobal = 100
	// DefaultLoginWindow is how long a failed login counts.
	DefaultLoginWindow = 15 * time.Minute
)

// LoginLimits sizes a LoginThrottle. Non-positive fields take the
// defaults above.
type LoginLimits struct {
	PerName    int
	PerAddress int
	Global     int
	Window     time.Duration
}

// withDefaults fills in the unset sizes.
func (l LoginLimits) withDefaults() LoginLimits {
	if l.PerName <= 0 {
		l.PerName = DefaultLoginPerName
	}
	if l.PerAddress <= 0 {
		l.PerAddress = DefaultLoginPerAddress
	}
	if l.Global <= 0 {
		l.Global = DefaultLoginGlobal
	}
	if l.Window <= 0 {
		l.Window = DefaultLoginWindow
	}
	return l
}

// LoginThrottle limits failed logins three ways at once: per name and
// address, per address, and for the whole panel. An attempt proceeds only
// while all three have room, and it is counted against all three before
// the password is checked, so parallel guesses cannot all pass the check
// during the slow hash. A successful login forgets the failures of its
// name and address and takes back its own count from the other two (a
// valid account must not reset an address's count for its other names).
// It lives in memory: a restart forgets it. It is safe for concurrent use.
type LoginThrottle struct {
	limits LoginLimits
	// Now is time.Now when nil; tests set it.
	Now func() time.Time

	mu      sync.Mutex
	names   failures // key "name|address"
	addrs   failures // key address
	global  []time.Time
	pruneAt int // size of names+addrs above which stale keys are dropped
}

// LoginAttempt is one counted login attempt, to be settled with Succeeded
// or Cancel, or left counted as a failure.
type LoginAttempt struct {
	name, addr string
	at         time.Time
}

// NewLoginThrottle returns a LoginThrottle with the given limits.
func NewLoginThrottle(l LoginLimits) *LoginThrottle {
	return &LoginThrottle{limits: l.withDefaults(), names: failures{}, addrs: failures{}, pruneAt: 10000}
}

// Limits returns the throttle's sizes.
func (t *LoginThrottle) Limits() LoginLimits { return t.limits }

func (t *LoginThrottle) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

// Attempt counts a login attempt for name from addr. When any limit is
// full it is refused, not counted, and retryAfter says when the fullest
// limit has room again. name is compared case-insensitively by the caller.
func (t *LoginThrottle) Attempt(name, addr string) (a LoginAttempt, ok bool, retryAfter time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	w := t.limits.Window
	nameKey := name + "|" + addr
	t.global = pruneList(t.global, now, w)
	for _, c := range []struct {
		list []time.Time
		max  int
	}{
		{t.names.prune(nameKey, now, w), t.limits.PerName},
		{t.addrs.prune(addr, now, w), t.limits.PerAddress},
		{t.global, t.limits.Global},
	} {
		if len(c.list) >= c.max {
			// The oldest failure that must leave for the count to drop below max.
			if wait := w - now.Sub(c.list[len(c.list)-c.max]); wait > retryAfter {
				retryAfter = wait
			}
		}
	}
	if retryAfter > 0 {
		return LoginAttempt{}, false, retryAfter
	}
	t.names[nameKey] = append(t.names[nameKey], now)
	t.addrs[addr] = append(t.addrs[addr], now)
	t.global = append(t.global, now)
	if len(t.names)+len(t.addrs) > t.pruneAt {
		t.names.pruneAll(now, w)
		t.addrs.pruneAll(now, w)
	}
	return LoginAttempt{name: name, addr: addr, at: now}, true, 0
}

// Succeeded settles a with a successful login: the name's failures from
// that address are forgotten, and a's own count is taken back from the
// address and global limits.
func (t *LoginThrottle) Succeeded(a LoginAttempt) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.names, a.name+"|"+a.addr)
	t.addrs.remove(a.addr, a.at)
	t.global = removeOne(t.global, a.at)
}

// Cancel settles a as not a guess at all (the password was never checked):
// its count is taken back from every limit.
func (t *LoginThrottle) Cancel(a LoginAttempt) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.names.remove(a.name+"|"+a.addr, a.at)
	t.addrs.remove(a.addr, a.at)
	t.global = removeOne(t.global, a.at)
}

// failures are the times of failed attempts by key, oldest first.
type failures map[string][]time.Time

// prune drops the failures of key older than window and returns the rest.
func (f failures) prune(key string, now time.Time, window time.Duration) []time.Time {
	list := pruneList(f[key], now, window)
	if len(list) == 0 {
		delete(f, key)
		return nil
	}
	f[key] = list
	return list
}

func (f failures) pruneAll(now time.Time, window time.Duration) {
	for k := range f {
		f.prune(k, now, window)
	}
}

// remove takes one failure at time at from key.
func (f failures) remove(key string, at time.Time) {
	list := removeOne(f[key], at)
	if len(list) == 0 {
		delete(f, key)
		return
	}
	f[key] = list
}

func pruneList(list []time.Time, now time.Time, window time.Duration) []time.Time {
	i := 0
	for i < len(list) && now.Sub(list[i]) >= window {
		i++
	}
	return list[i:]
}

// removeOne removes one entry equal to at (the newest such), if any.
func removeOne(list []time.Time, at time.Time) []time.Time {
	for i := len(list) - 1; i >= 0; i-- {
		if list[i].Equal(at) {
			return append(list[:i:i], list[i+1:]...)
		}
	}
	return list
}

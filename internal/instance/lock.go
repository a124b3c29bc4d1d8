package instance

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// lockWait is how long an operation waits for another one on the same
// instance before giving up with ErrBusy. It is longer than a server's stop
// timeout (15 s, DESIGN.md §1 rule 10) so that a second click queues behind a
// stop instead of failing.
const lockWait = 20 * time.Second

// locker hands out one lock per instance name, serialising lifecycle
// operations on that instance while different instances proceed in parallel.
type locker struct {
	mu    sync.Mutex
	locks map[string]*nameLock
}

type nameLock struct {
	ch    chan struct{} // holds a token while locked
	users int           // goroutines holding or waiting; the entry goes at zero
}

func newLocker() *locker { return &locker{locks: map[string]*nameLock{}} }

// lock acquires name's lock, waiting until ctx is done or lockWait passes
// (then ErrBusy). The returned function releases it.
func (l *locker) lock(ctx context.Context, name string) (func(), error) {
	l.mu.Lock()
	nl, ok := l.locks[name]
	if !ok {
		nl = &nameLock{ch: make(chan struct{}, 1)}
		l.locks[name] = nl
	}
	nl.users++
	l.mu.Unlock()

	release := func() {
		l.mu.Lock()
		nl.users--
		if nl.users == 0 {
			delete(l.locks, name)
		}
		l.mu.Unlock()
	}
	timer := time.NewTimer(lockWait)
	defer timer.Stop()
	select {
	case nl.ch <- struct{}{}:
		return func() { <-nl.ch; release() }, nil
	case <-ctx.Done():
		release()
		return nil, fmt.Errorf("instance %q: %w", name, ctx.Err())
	case <-timer.C:
		release()
		return nil, fmt.Errorf("%w: %q", ErrBusy, name)
	}
}

package instance

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/left4me/left4me/internal/layout"
)

// lockWait is how long an operation waits for another one on the same
// instance before giving up with ErrBusy. It is longer than a server's stop
// timeout (15 s, docs/lifecycle.md rule 10) so that a second click queues behind a
// stop instead of failing.
const lockWait = 20 * time.Second

// lockPoll is how often a held file lock is tried again.
const lockPoll = 50 * time.Millisecond

// locker hands out one lock per instance name, serialising lifecycle
// operations on that instance while different instances proceed in parallel.
// With a directory, each lock is also an flock on dir/.NAME.lock, so that
// the panel and a CLI command (two processes) are serialised too.
type locker struct {
	mu    sync.Mutex
	locks map[string]*nameLock
	dir   string
	// chown gives a new lock file the state root's owner (nil: keep).
	chown func(path string) error
}

type nameLock struct {
	ch    chan struct{} // holds a token while locked
	users int           // goroutines holding or waiting; the entry goes at zero
}

// newLocker returns a locker; dir "" makes it serialise only this process.
func newLocker(dir string, chown func(string) error) *locker {
	return &locker{locks: map[string]*nameLock{}, dir: dir, chown: chown}
}

// lock acquires name's lock, waiting until ctx is done or lockWait passes
// (then ErrBusy). The returned function releases it.
func (l *locker) lock(ctx context.Context, name string) (func(), error) {
	file := ""
	// No instance has an invalid name (the operation fails with "not
	// found"); such a name must not become a path.
	if layout.ValidateName(name) == nil {
		file = "." + name + ".lock"
	}
	return l.lockFileNamed(ctx, name, file)
}

// lockFileNamed is lock of any key whose file lock (under dir) is file;
// "" takes none. Keys that are not instance names have files an instance's
// cannot be (a '.' inside, which instance names never have).
func (l *locker) lockFileNamed(ctx context.Context, name, file string) (func(), error) {
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
	case <-ctx.Done():
		release()
		return nil, fmt.Errorf("instance %q: %w", name, ctx.Err())
	case <-timer.C:
		release()
		return nil, fmt.Errorf("%w: %q", ErrBusy, name)
	}
	unlockFile, err := l.lockFile(ctx, name, file, timer.C)
	if err != nil {
		<-nl.ch
		release()
		return nil, err
	}
	return func() { unlockFile(); <-nl.ch; release() }, nil
}

// lockFile takes the flock of dir/file for name (nothing without a
// directory or file), polling until it is free, ctx is done or expired
// fires.
func (l *locker) lockFile(ctx context.Context, name, file string, expired <-chan time.Time) (func(), error) {
	if l.dir == "" || file == "" {
		return func() {}, nil
	}
	if err := os.MkdirAll(l.dir, 0o755); err != nil {
		return nil, fmt.Errorf("lock instance %q: %w", name, err)
	}
	path := filepath.Join(l.dir, file)
	// Read-only: flock needs no write access, and a lock file created by
	// the CLI run as root stays usable by the service user.
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock instance %q: %w", name, err)
	}
	if l.chown != nil {
		if err := l.chown(path); err != nil {
			f.Close()
			return nil, fmt.Errorf("lock instance %q: %w", name, err)
		}
	}
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR) {
			f.Close()
			return nil, fmt.Errorf("lock instance %q: %w", name, err)
		}
		poll := time.NewTimer(lockPoll)
		select {
		case <-ctx.Done():
			poll.Stop()
			f.Close()
			return nil, fmt.Errorf("instance %q: %w", name, ctx.Err())
		case <-expired:
			poll.Stop()
			f.Close()
			return nil, fmt.Errorf("%w: %q (another left4me process is working on it)", ErrBusy, name)
		case <-poll.C:
		}
	}
}

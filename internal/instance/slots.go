package instance

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// DefaultStartSlots is how many units the host starts at the same moment
// when Config.StartSlots is zero: four per CPU, between 4 and 16.
//
// Measured in a booted Debian 12 guest on a 2-CPU machine, 100 instances
// started with K at a time cost each unit 121 ms of CPU at K=4, 126-139 ms
// at K=8, 146 ms at K=16 and 220 ms at K=100: most of it is systemd's
// sandbox set-up in the unit's forked child, which slows down as more of
// them run at once (docs/lifecycle.md, "Many instances on one host").
func DefaultStartSlots() int {
	return min(max(4*runtime.NumCPU(), 4), 16)
}

// slotPoll is how often a waiter tries every slot again while it also
// blocks on one of them.
const slotPoll = 50 * time.Millisecond

// slots bounds how many units are being started at the same moment on this
// host, across processes: the panel, every CLI command and the boot
// autostart take one of n flock'ed files in dir before asking systemd for
// a start and give it back when the start job is done. A hundred `left4me
// instance start` commands run at once therefore start n units at a time
// instead of a hundred, each cheaper and none starved. Without a directory
// (tests, the demo) only this process is bounded.
type slots struct {
	dir   string
	n     int
	chown func(path string) error
	local chan struct{}
}

func newSlots(dir string, n int, chown func(string) error) *slots {
	if n <= 0 {
		n = DefaultStartSlots()
	}
	return &slots{dir: dir, n: n, chown: chown, local: make(chan struct{}, n)}
}

// acquire waits for a free slot until ctx is done; the returned function
// gives it back.
func (s *slots) acquire(ctx context.Context) (func(), error) {
	if s.dir == "" {
		select {
		case s.local <- struct{}{}:
			return func() { <-s.local }, nil
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for a start slot: %w", ctx.Err())
		}
	}
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return nil, fmt.Errorf("start slots: %w", err)
	}
	files := make([]*os.File, s.n)
	closeAll := func(keep int) {
		for i, f := range files {
			if f != nil && i != keep {
				f.Close()
			}
		}
	}
	for i := range files {
		path := filepath.Join(s.dir, ".start-slot-"+strconv.Itoa(i)+".lock")
		// Read-only, as the instance locks: the CLI run as root and the
		// service user share the files.
		f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o644)
		if err != nil {
			closeAll(-1)
			return nil, fmt.Errorf("start slots: %w", err)
		}
		files[i] = f
		if s.chown != nil {
			if err := s.chown(path); err != nil {
				closeAll(-1)
				return nil, fmt.Errorf("start slots: %w", err)
			}
		}
	}
	tryAll := func() int {
		for i, f := range files {
			if unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) == nil {
				return i
			}
		}
		return -1
	}
	if i := tryAll(); i >= 0 {
		closeAll(i)
		return func() { files[i].Close() }, nil
	}
	// All taken: block on one slot (a blocked flock wakes as soon as its
	// holder lets go) and, in case another one frees first, try them all
	// every slotPoll. A blocking flock cannot be cancelled, so it runs in
	// a goroutine on a file of its own (its own open file description,
	// whose lock is never confused with the others'); one waiter has at
	// most one such goroutine, and a lock it takes after the waiter went
	// another way is dropped at once.
	blocked, err := os.Open(files[rand.IntN(s.n)].Name())
	if err != nil {
		closeAll(-1)
		return nil, fmt.Errorf("start slots: %w", err)
	}
	got := make(chan error, 1)
	go func() { got <- unix.Flock(int(blocked.Fd()), unix.LOCK_EX) }()
	abandon := func() {
		go func() {
			<-got
			blocked.Close()
		}()
	}
	tick := time.NewTicker(slotPoll)
	defer tick.Stop()
	for {
		select {
		case err := <-got:
			closeAll(-1)
			if err != nil {
				blocked.Close()
				return nil, fmt.Errorf("start slots: %w", err)
			}
			return func() { blocked.Close() }, nil
		case <-tick.C:
			if i := tryAll(); i >= 0 {
				abandon()
				closeAll(i)
				return func() { files[i].Close() }, nil
			}
		case <-ctx.Done():
			abandon()
			closeAll(-1)
			return nil, fmt.Errorf("wait for a start slot: %w", ctx.Err())
		}
	}
}

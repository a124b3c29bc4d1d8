package events

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/left4me/left4me/internal/srcds"
)

// Events from the console log. Whether a real Left 4 Dead 2 server sends
// its UDP log to a non-loopback address is unverified (docs/srcds.md §8
// "UDP logs"), but with sv_logecho 1 (the default) every log line is also
// printed to the console, which the unit's journal keeps. FollowConsoles
// reads those lines for each running instance and feeds them through the
// same conversion and de-duplication as the UDP packets, so the feed works
// with either source alone or with both.

// LogReader reads an instance's console log; instance.LogReader (the
// journal, or a child process's output) is one.
type LogReader interface {
	// Tail returns up to the last n lines, oldest first.
	Tail(ctx context.Context, name string, n int) ([]string, error)
	// Follow calls fn for each new line until ctx is done.
	Follow(ctx context.Context, name string, fn func(line string)) error
}

// Running is an instance whose server runs, and since when (zero when
// unknown).
type Running struct {
	Name  string
	Since time.Time
}

// RunningFunc lists the instances whose servers run now.
type RunningFunc func(ctx context.Context) ([]Running, error)

// ConsoleConfig tunes FollowConsoles; zero values take the defaults.
type ConsoleConfig struct {
	// Interval is how often the running instances are listed, and how long
	// a follower waits before reading again after its reader failed (2 s).
	Interval time.Duration
	// Backlog is how many console lines a new follower reads back, so that
	// what a server logged before its follower started (players joining
	// right after the start) is not lost (500).
	Backlog int
	// Settle is how long a follower waits after subscribing before it
	// reads the backlog (the readers follow only lines written after they
	// subscribe; see internal/web's log stream) (100 ms).
	Settle time.Duration
	// Resync is how often a follower subscribes again and reads the
	// backlog, taking what the reader did not deliver (15 s): a journal
	// follower has been seen to stop delivering without ending (Debian
	// 12's journalctl with a journal namespace, in the e2e harness).
	Resync time.Duration
	// Observe, when set, is called with every new console line a follower
	// reads (not the backlog it reads back), from the follower's
	// goroutine: the watchdog (internal/watchdog) learns from it whether
	// a server's console advances and whether a map change is loading.
	Observe func(name, line string)
}

func (c ConsoleConfig) withDefaults() ConsoleConfig {
	if c.Interval <= 0 {
		c.Interval = 2 * time.Second
	}
	if c.Backlog <= 0 {
		c.Backlog = 500
	}
	if c.Settle <= 0 {
		c.Settle = 100 * time.Millisecond
	}
	if c.Resync <= 0 {
		c.Resync = 15 * time.Second
	}
	return c
}

// consoleBuffer is how many followed lines may wait while a follower reads
// its backlog; the reader waits (it is not dropped) when it is full.
const consoleBuffer = 1024

// missedPolls is how many consecutive listings may miss an instance before
// its follower stops: a follower outlives the last poll that saw its
// server by one interval, so that the lines of a shutdown are read too.
const missedPolls = 2

// startSlack is how much earlier than the instance's recorded start its
// lines are taken: the supervisor may record the start a moment after the
// server printed its first lines (systemd marks the unit active once
// ExecStartPost is done, and the log stamps have whole seconds).
const startSlack = 2 * time.Second

type consoleFollower struct {
	cancel context.CancelFunc
	done   chan struct{}
	missed int
}

// FollowConsoles reads the console log of every running instance until ctx
// is done: from one ConsoleStream when logs is one (the journal), else one
// follower per instance, started when running lists it and stopped once it
// no longer does. Lines older than the instance's start or
// than the recorder (stored by an earlier panel) are skipped. Run must run
// too, to store what the followers find.
func (r *Recorder) FollowConsoles(ctx context.Context, logs LogReader, running RunningFunc, cfg ConsoleConfig) {
	cfg = cfg.withDefaults()
	if s, ok := logs.(ConsoleStream); ok {
		r.streamConsoles(ctx, s, cfg)
		return
	}
	followers := map[string]*consoleFollower{}
	defer func() {
		for _, f := range followers {
			f.cancel()
		}
		for _, f := range followers {
			<-f.done
		}
	}()
	tick := time.NewTicker(cfg.Interval)
	defer tick.Stop()
	for {
		list, err := running(ctx)
		if err != nil {
			if ctx.Err() == nil {
				r.log.Warn("event recorder: list running instances", "err", err)
			}
		} else {
			seen := make(map[string]bool, len(list))
			for _, run := range list {
				seen[run.Name] = true
				if f := followers[run.Name]; f != nil {
					f.missed = 0
					continue
				}
				since := r.started
				if s := run.Since.Add(-startSlack); s.After(since) {
					since = s
				}
				fctx, cancel := context.WithCancel(ctx)
				f := &consoleFollower{cancel: cancel, done: make(chan struct{})}
				followers[run.Name] = f
				go func(name string) {
					defer close(f.done)
					r.followConsole(fctx, logs, name, since, cfg)
				}(run.Name)
			}
			for name, f := range followers {
				if seen[name] {
					continue
				}
				if f.missed++; f.missed >= missedPolls {
					f.cancel()
					<-f.done
					delete(followers, name)
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// followConsole feeds one instance's console lines to the recorder until
// ctx is done, reading again after an interval when its reader fails
// (journalctl ended, say).
func (r *Recorder) followConsole(ctx context.Context, logs LogReader, name string, since time.Time, cfg ConsoleConfig) {
	c := consoleLines{r: r, name: name, since: since.Truncate(time.Second), observe: cfg.Observe}
	for {
		err := c.follow(ctx, logs, cfg)
		if ctx.Err() != nil {
			return
		}
		// The next round reads the backlog again: lines stamped before the
		// last one taken are skipped, and of that second those taken.
		c.resume()
		if errors.Is(err, errResync) {
			continue
		}
		r.log.Warn("event recorder: follow console log", "instance", name, "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(cfg.Interval):
		}
	}
}

// errResync ends a round of following to read the backlog again.
var errResync = errors.New("resync")

// consoleLines turns one instance's console lines into recorder input.
type consoleLines struct {
	r     *Recorder
	name  string
	since time.Time // lines stamped before this are skipped
	last  time.Time // the newest stamp taken
	// lastLines counts the lines taken with stamp last; skip, those of
	// them a new round must not take again.
	lastLines map[string]int
	skip      map[string]int
	observe   func(name, line string) // ConsoleConfig.Observe, or nil
	// observed are the last lines given to observe (at most
	// observedKept), to find in a later round's backlog what is new.
	observed []string
}

// observedKept is how many observed lines a follower remembers.
const observedKept = 16

// resume prepares a new round: the backlog it reads holds lines already
// taken, up to and including some of the last second.
func (c *consoleLines) resume() {
	if c.last.IsZero() {
		return
	}
	c.since = c.last
	c.skip = maps.Clone(c.lastLines)
}

// follow subscribes, reads the backlog, then the followed lines, dropping
// the followed lines the backlog already held.
//
// The reader delivers followed lines asynchronously, so which of them the
// backlog holds too is known only from their text: followed lines are held
// back while they could still be the continuation of the backlog's end
// (see catchUp), then the ones that are not are taken.
func (c *consoleLines) follow(ctx context.Context, logs LogReader, cfg ConsoleConfig) error {
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	lines := make(chan string, consoleBuffer)
	done := make(chan error, 1)
	var wg sync.WaitGroup
	wg.Go(func() {
		done <- logs.Follow(fctx, c.name, func(line string) {
			select {
			case lines <- line:
			case <-fctx.Done():
			}
		})
	})
	defer wg.Wait()
	defer cancel() // before wg.Wait: a blocked Follow sees it
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(cfg.Settle):
	}
	tail, err := logs.Tail(ctx, c.name, cfg.Backlog)
	if err != nil {
		c.r.log.Warn("event recorder: read console backlog", "instance", c.name, "err", err)
	}
	for _, line := range tail {
		c.take(line)
	}
	c.observeBacklog(tail)
	cu := catchUp{tail: tail}
	quiet := time.NewTimer(cfg.Settle)
	defer quiet.Stop()
	resync := time.NewTimer(cfg.Resync)
	defer resync.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-resync.C:
			return errResync
		case err := <-done:
			for n := len(lines); n > 0; n-- {
				c.takeAll(cu.add(<-lines))
			}
			c.takeAll(cu.flush())
			return err
		case line := <-lines:
			c.takeAll(cu.add(line))
			if cu.waiting() {
				quiet.Reset(cfg.Settle)
			}
		case <-quiet.C:
			// Nothing more came: what is held back is what it matched.
			c.takeAll(cu.flush())
		}
	}
}

// catchUp sorts the first followed lines into those the backlog (tail)
// already held and new ones.
type catchUp struct {
	tail []string
	held []string
	done bool
}

// add takes the next followed line and returns the lines now known to be
// new.
func (u *catchUp) add(line string) []string {
	if u.done {
		return []string{line}
	}
	u.held = append(u.held, line)
	if u.couldContinue() {
		return nil
	}
	return u.flush()
}

// waiting reports whether lines are held back.
func (u *catchUp) waiting() bool { return !u.done && len(u.held) > 0 }

// couldContinue reports whether the held lines are the start of some
// suffix of the tail at least as long as them: more followed lines could
// then still be backlog.
func (u *catchUp) couldContinue() bool {
	for m := len(u.held); m <= len(u.tail); m++ {
		start := len(u.tail) - m
		if slices.Equal(u.held, u.tail[start:start+len(u.held)]) {
			return true
		}
	}
	return false
}

// flush ends the catching up: the held lines after the longest prefix of
// them that ends the tail are new.
func (u *catchUp) flush() []string {
	if u.done {
		return nil
	}
	u.done = true
	out := u.held[overlap(u.tail, u.held):]
	u.held = nil
	return out
}

// takeAll takes followed lines known to be new (not backlog).
func (c *consoleLines) takeAll(lines []string) {
	for _, l := range lines {
		c.see(l)
		c.take(l)
	}
}

// see gives a new line to observe.
func (c *consoleLines) see(line string) {
	if c.observe == nil {
		return
	}
	c.observe(c.name, line)
	c.observed = append(c.observed, line)
	if len(c.observed) > observedKept {
		c.observed = c.observed[len(c.observed)-observedKept:]
	}
}

// observeBacklog gives observe the lines of a later round's backlog that
// came after the last lines observed: written while no round followed
// (between two rounds, or before the new round read its backlog). The
// first round's backlog is old, and observed nothing.
func (c *consoleLines) observeBacklog(tail []string) {
	if c.observe == nil || len(c.observed) == 0 {
		return
	}
	for _, l := range tail[observedEnd(tail, c.observed):] {
		c.see(l)
	}
}

// observedEnd is the index in tail just after the newest place where tail
// holds the lines seen (as many of their last ones as tail has before
// that place); 0 when tail does not hold them: all of it is newer.
func observedEnd(tail, seen []string) int {
	for i := len(tail); i > 0; i-- {
		k := min(len(seen), i)
		if slices.Equal(tail[i-k:i], seen[len(seen)-k:]) {
			return i
		}
	}
	return 0
}

// take hands a console line to the recorder when it is a log line
// ("L MM/DD/YYYY - HH:MM:SS: ...", echoed by sv_logecho) of this run.
//
// NOTE: the stamps are the server's local time, read in the panel's zone;
// both run on this host with its /etc/localtime (the server unit binds it).
func (c *consoleLines) take(line string) {
	ev, err := srcds.ParseLogLine([]byte(line))
	if err != nil || ev.Time.Before(c.since) {
		return
	}
	if ev.Time.Equal(c.since) && c.skip[line] > 0 {
		c.skip[line]-- // taken in an earlier round
		return
	}
	if ev.Time.After(c.last) {
		c.last = ev.Time
		c.lastLines = map[string]int{}
	}
	if ev.Time.Equal(c.last) {
		if c.lastLines == nil {
			c.lastLines = map[string]int{}
		}
		c.lastLines[line]++
	}
	c.r.ingest(c.name, ev, fromConsole)
}

// overlap is the length of the longest prefix of early that is also a
// suffix of tail: those lines were followed and are in the tail too.
func overlap(tail, early []string) int {
	for m := min(len(early), len(tail)); m > 0; m-- {
		if slices.Equal(early[:m], tail[len(tail)-m:]) {
			return m
		}
	}
	return 0
}

package events

import (
	"context"
	"errors"
	"time"

	"github.com/left4me/left4me/internal/srcds"
)

// ConsoleStream is a LogReader that can also read every instance's console
// from one source, in order, resuming exactly where an earlier read
// stopped: the systemd journal, by cursor (systemd.Journal.FollowAll).
// FollowConsoles uses it when the reader has it, one reader for all
// instances instead of a follower per running instance (docs/lifecycle.md,
// "Many instances on one host").
type ConsoleStream interface {
	// FollowAll calls fn with each console line of any instance until ctx
	// is done, starting after position from or, when from is empty, at
	// since; it returns the position after the last line read.
	FollowAll(ctx context.Context, from string, since time.Time, fn func(name, line string)) (string, error)
}

// streamConsoles is FollowConsoles over a ConsoleStream: lines stamped
// before the recorder started are some earlier recorder's; every later
// line of every instance is taken once, and given to cfg.Observe once. Each read lasts cfg.Resync at
// most and the next resumes where it ended (a journal follower has been
// seen to stop delivering without ending); a read that fails is retried
// after cfg.Interval from the same position.
func (r *Recorder) streamConsoles(ctx context.Context, s ConsoleStream, cfg ConsoleConfig) {
	since := r.started.Truncate(time.Second)
	pos := ""
	for {
		rctx, cancel := context.WithTimeout(ctx, cfg.Resync)
		next, err := s.FollowAll(rctx, pos, since, func(name, line string) {
			if cfg.Observe != nil {
				cfg.Observe(name, line)
			}
			ev, err := srcds.ParseLogLine([]byte(line))
			if err != nil || ev.Time.Before(since) {
				return
			}
			r.ingest(name, ev, fromConsole)
		})
		cancel()
		if next != "" {
			pos = next
		}
		if ctx.Err() != nil {
			return
		}
		if err == nil || errors.Is(err, context.DeadlineExceeded) {
			continue
		}
		r.log.Warn("event recorder: follow the console logs", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(cfg.Interval):
		}
	}
}

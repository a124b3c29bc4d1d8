package schedule

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/jobs"
)

// RollingArgs are the arguments of a KindRollingRestart job: the rolling
// restart of the Installation page, the API and the CLI. Every running
// instance staged on an older generation is restarted when no human plays
// on it, at most Parallel at once; one still played on MaxWait after the
// job was asked for is restarted anyway or skipped (OnTimeout).
type RollingArgs struct {
	Parallel  int       `json:"parallel"`
	MaxWaitS  int64     `json:"max_wait_s"`
	OnTimeout OnTimeout `json:"on_timeout"`
	// Since is when it was asked for: the wait counts from it, so that a
	// job retried after a panel restart does not wait anew.
	Since time.Time `json:"since"`
}

// Rolling restart defaults.
const (
	DefaultParallel       = 1
	DefaultRollingMaxWait = time.Hour
	MaxParallel           = 64
)

// RollingSpec is a rolling restart as asked for (JSON, flags); zero fields
// take the defaults.
type RollingSpec struct {
	Parallel  int    `json:"parallel,omitempty"`
	MaxWait   string `json:"max_wait,omitempty"`
	OnTimeout string `json:"on_timeout,omitempty"`
}

// EnqueueRollingRestart checks sp and queues the rolling restart on behalf
// of userID (0: the system) unless one is queued or running already, whose
// id is then returned with duplicate set.
func (s *Service) EnqueueRollingRestart(ctx context.Context, sp RollingSpec, userID int64) (id int64, duplicate bool, err error) {
	a := RollingArgs{Parallel: DefaultParallel, MaxWaitS: int64(DefaultRollingMaxWait / time.Second), OnTimeout: RunAnyway}
	if sp.Parallel < 0 || sp.Parallel > MaxParallel {
		return 0, false, fieldErr("parallel", "%d: want 1 to %d instances at once", sp.Parallel, MaxParallel)
	}
	if sp.Parallel > 0 {
		a.Parallel = sp.Parallel
	}
	if sp.MaxWait != "" || sp.OnTimeout != "" {
		v, err := Validate(Spec{Action: string(Restart), When: "00:00", Policy: string(WhenEmpty), MaxWait: sp.MaxWait, OnTimeout: sp.OnTimeout}, s.cfg.RCONPolicy, false)
		if err != nil {
			return 0, false, err
		}
		a.MaxWaitS, a.OnTimeout = int64(v.MaxWait/time.Second), v.OnTimeout
	}
	if s.cfg.Jobs == nil {
		return 0, false, errors.New("rolling restart: no job queue")
	}
	// Unique while unfinished: the args without Since would make every
	// request look new, so the key is the kind alone.
	if list, err := s.cfg.Jobs.List(ctx, jobs.Filter{Kind: KindRollingRestart, Limit: 20}); err == nil {
		for _, j := range list {
			if !j.State.Finished() {
				return j.ID, true, nil
			}
		}
	}
	a.Since = s.cfg.Clock.Now().UTC()
	id, _, err = s.cfg.Jobs.Enqueue(ctx, KindRollingRestart, a, jobs.EnqueueOpts{UserID: userID})
	return id, false, err
}

type restartResult struct {
	name string
	err  error
}

// rollingJob is the rolling restart.
func (s *Service) rollingJob(ctx context.Context, run *jobs.Run) error {
	var a RollingArgs
	if err := run.Args(&a); err != nil {
		return err
	}
	limit := max(a.Parallel, 1)
	remaining, err := s.stale(ctx)
	if err != nil {
		return err
	}
	if len(remaining) == 0 {
		run.Logf("no running instance is on an older generation; nothing to restart")
		return nil
	}
	total := len(remaining)
	deadline := a.Since.Add(time.Duration(a.MaxWaitS) * time.Second)
	run.Logf("restarting %d instances on an older generation, each when empty (waiting until %s), at most %d at once: %v",
		total, deadline.In(s.cfg.Location).Format(time.DateTime), limit, remaining)
	results := make(chan restartResult, total)
	inflight, finished := 0, 0
	var failures []error
	var restarted, skipped []string
	for len(remaining) > 0 || inflight > 0 {
		late := !s.cfg.Clock.Now().Before(deadline)
		for i := 0; i < len(remaining) && inflight < limit && len(failures) == 0; {
			name := remaining[i]
			n, busy := s.occupied(name)
			if busy && !late {
				i++
				continue
			}
			remaining = append(remaining[:i], remaining[i+1:]...)
			if busy && a.OnTimeout == Skip {
				run.Logf("skipped %s: %s", name, players(n))
				skipped = append(skipped, name)
				s.cfg.Notifier.Notify(ctx, "schedule.skipped", name, map[string]any{
					"action": "rolling-restart", "max_wait": (time.Duration(a.MaxWaitS) * time.Second).String(),
					"reason": "players stayed connected",
				})
				finished++
				continue
			}
			if busy {
				run.Logf("%s is not empty after the wait (%s): restarting it anyway", name, players(n))
			}
			inflight++
			go func() { results <- restartResult{name, s.restartRunning(ctx, name)} }()
		}
		if len(failures) > 0 && inflight == 0 {
			break
		}
		if len(remaining) == 0 && inflight == 0 {
			break
		}
		var tick <-chan time.Time
		if len(remaining) > 0 && inflight < limit && len(failures) == 0 {
			tick = s.cfg.Clock.After(s.cfg.PollEvery)
		}
		select {
		case r := <-results:
			inflight--
			finished++
			if r.err != nil {
				run.Logf("restart %s: %v", r.name, r.err)
				failures = append(failures, fmt.Errorf("%s: %w", r.name, r.err))
			} else {
				run.Logf("restarted %s", r.name)
				restarted = append(restarted, r.name)
			}
			run.Progress(float64(finished)/float64(total), fmt.Sprintf("restarted %d of %d", len(restarted), total))
		case <-tick:
		case <-ctx.Done():
			for ; inflight > 0; inflight-- {
				<-results
			}
			return context.Cause(ctx)
		}
	}
	summary := fmt.Sprintf("restarted %v, skipped %v", restarted, skipped)
	err = nil
	if len(failures) > 0 {
		err = fmt.Errorf("rolling restart stopped after a failure (not restarted: %v): %w", remaining, errors.Join(failures...))
	}
	s.cfg.Auditor.Record(ctx, Actor, "instance.rolling-restart", "", summary, err)
	if err != nil {
		return jobs.Permanent(err)
	}
	run.Progress(1, summary)
	return nil
}

// restartRunning restarts name if it still runs (a stopped one picks the
// newest generations at its next start anyway).
func (s *Service) restartRunning(ctx context.Context, name string) error {
	st, err := s.cfg.Instances.Status(ctx, name)
	if err != nil || st.State != instance.Running {
		return err
	}
	return s.cfg.Instances.Do(ctx, instance.Restart, name)
}

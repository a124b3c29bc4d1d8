package schedule

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/left4me/left4me/internal/jobs"
)

// Job kinds of this package.
const (
	// KindRun is one slot of one schedule (RunArgs).
	KindRun = "schedule_run"
	// KindRollingRestart restarts the running instances on an older
	// generation (RollingArgs).
	KindRollingRestart = "rolling_restart"
)

// RunArgs are the arguments of a KindRun job: together its unique key, so
// that a slot is queued once however many schedulers see it.
type RunArgs struct {
	ScheduleID int64     `json:"schedule_id"`
	Slot       time.Time `json:"slot"`
	// Instance and Action are the schedule's, for the Jobs page; the run
	// reads the schedule itself.
	Instance string `json:"instance,omitempty"`
	Action   Action `json:"action,omitempty"`
}

// lead is how long before its slot a schedule's job starts: the warn
// policy announces the action beforehand.
func lead(p Policy) time.Duration {
	if p == Warn {
		return WarnLeads[0]
	}
	return 0
}

// due returns the newest slot of sc whose job should have started by now
// (its slot minus its lead), or zero when none is due.
func (s *Service) due(sc Schedule, now time.Time) time.Time {
	from := sc.CreatedAt
	if sc.LastSlot.After(from) {
		from = sc.LastSlot
	}
	l := lead(sc.Policy)
	var slot time.Time
	for next := sc.When.Next(from, s.cfg.Location); !next.IsZero() && !now.Before(next.Add(-l)); next = sc.When.Next(next, s.cfg.Location) {
		slot = next
	}
	return slot
}

// Tick hands every schedule's due slot to the job queue: one job per
// schedule and slot (a unique job, so a second scheduler over the same
// database, or this one after a restart, queues nothing more), then
// records the slot as the schedule's last. A slot found later than
// MissedGrace (the panel was down) is recorded but not run. It returns
// how many jobs it queued.
func (s *Service) Tick(ctx context.Context) (int, error) {
	if s.cfg.Jobs == nil {
		return 0, errors.New("schedules: no job queue")
	}
	list, err := s.List(ctx, "")
	if err != nil {
		return 0, err
	}
	now := s.cfg.Clock.Now()
	queued := 0
	var errs []error
	for _, sc := range list {
		slot := s.due(sc, now)
		if slot.IsZero() {
			continue
		}
		if now.Sub(slot) > s.cfg.MissedGrace {
			s.log.Warn("schedule missed its time while no scheduler ran; it runs at its next time",
				"instance", sc.Instance, "schedule", sc.ID, "slot", slot)
		} else {
			id, dup, err := s.cfg.Jobs.Enqueue(ctx, KindRun, RunArgs{ScheduleID: sc.ID, Slot: slot.UTC().Truncate(time.Second), Instance: sc.Instance, Action: sc.Action},
				jobs.EnqueueOpts{UserID: sc.CreatedBy, UniqueEver: true})
			if err != nil {
				errs = append(errs, fmt.Errorf("queue schedule %d of %s: %w", sc.ID, sc.Instance, err))
				continue
			}
			if !dup {
				queued++
				s.log.Info("schedule due", "instance", sc.Instance, "schedule", sc.ID, "action", sc.Action, "slot", slot, "job", id)
			}
		}
		if _, err := s.cfg.Store.AdvanceScheduleSlot(ctx, sc.ID, slot); err != nil {
			errs = append(errs, err)
		}
	}
	return queued, errors.Join(errs...)
}

// wake is how long Run sleeps before its next Tick: until the soonest
// schedule's job is due, at most Interval.
func (s *Service) wake(ctx context.Context) time.Duration {
	list, err := s.List(ctx, "")
	if err != nil {
		return s.cfg.Interval
	}
	now := s.cfg.Clock.Now()
	d := s.cfg.Interval
	for _, sc := range list {
		from := sc.CreatedAt
		if sc.LastSlot.After(from) {
			from = sc.LastSlot
		}
		next := sc.When.Next(from, s.cfg.Location)
		if next.IsZero() {
			continue
		}
		d = min(d, max(next.Add(-lead(sc.Policy)).Sub(now), 0))
	}
	return max(d, time.Second)
}

// Run is the scheduler as a part of the panel: it ticks until ctx ends.
func (s *Service) Run(ctx context.Context) error {
	for {
		if _, err := s.Tick(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("schedules", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.cfg.Clock.After(s.wake(ctx)):
		}
	}
}

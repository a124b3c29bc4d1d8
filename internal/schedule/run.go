package schedule

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/jobs"
	"github.com/left4me/left4me/internal/rcon"
	"github.com/left4me/left4me/internal/store"
)

// Actor is who schedules act as in the audit log.
const Actor = "schedule"

// RegisterJobs registers KindRun and KindRollingRestart with the Service's
// job queue. Call it before the workers start.
func (s *Service) RegisterJobs() error {
	// A run survives a panel restart: the attempt it was in is retried,
	// and it takes its deadlines from the slot, not from the attempt.
	err := s.cfg.Jobs.Register(KindRun, s.runJob, jobs.KindOptions{
		MaxAttempts: 3, Timeout: MaxMaxWait + WarnLeads[0] + time.Hour,
	})
	if err != nil {
		return err
	}
	return s.cfg.Jobs.Register(KindRollingRestart, s.rollingJob, jobs.KindOptions{
		MaxAttempts: 3, Timeout: 2*MaxMaxWait + time.Hour,
	})
}

// runJob runs one slot of one schedule.
func (s *Service) runJob(ctx context.Context, run *jobs.Run) error {
	var a RunArgs
	if err := run.Args(&a); err != nil {
		return err
	}
	rec, err := s.cfg.Store.GetSchedule(ctx, a.ScheduleID)
	if errors.Is(err, store.ErrNotFound) {
		run.Logf("schedule %d was removed; nothing to do", a.ScheduleID)
		return nil
	}
	if err != nil {
		return err
	}
	sc, err := fromRecord(rec)
	if err != nil {
		return jobs.Permanent(err)
	}
	run.Logf("%s of %s, %s, policy %s, slot %s", sc.Action, sc.Instance, sc.When, sc.Policy,
		a.Slot.In(s.cfg.Location).Format(time.RFC3339))
	done, err := s.apply(ctx, run, sc, a.Slot)
	summary := fmt.Sprintf("%s (schedule %d, %s): %s", sc.Action, sc.ID, sc.When, done)
	if err != nil && ctx.Err() != nil {
		return err // shutting down: the attempt is retried
	}
	s.cfg.Auditor.Record(ctx, Actor, "schedule."+string(sc.Action), sc.Instance, summary, err)
	if err != nil {
		return jobs.Permanent(err)
	}
	run.Progress(1, done)
	return nil
}

// apply waits as the schedule's policy says, then acts; it returns what it
// did, for the log and the audit.
func (s *Service) apply(ctx context.Context, run *jobs.Run, sc Schedule, slot time.Time) (string, error) {
	inst, err := s.cfg.Instances.Get(ctx, sc.Instance)
	if err != nil {
		return "", err
	}
	if why := s.pointless(ctx, sc); why != "" {
		run.Logf("%s", why)
		return why, nil
	}
	switch sc.Policy {
	case Warn:
		if err := s.warn(ctx, run, inst, sc, slot); err != nil {
			return "", err
		}
	case WhenEmpty:
		empty, err := s.waitEmpty(ctx, run, sc.Instance, slot.Add(sc.MaxWait))
		if err != nil {
			return "", err
		}
		if !empty && sc.OnTimeout == Skip {
			why := fmt.Sprintf("skipped: %s was not empty after waiting %v", sc.Instance, sc.MaxWait)
			run.Logf("%s", why)
			s.cfg.Notifier.Notify(ctx, "schedule.skipped", sc.Instance, map[string]any{
				"schedule": sc.ID, "action": string(sc.Action), "when": sc.When.String(),
				"slot": slot.UTC(), "max_wait": sc.MaxWait.String(), "reason": "players stayed connected",
			})
			return why, nil
		}
		if !empty {
			run.Logf("%s is not empty after %v: doing it anyway", sc.Instance, sc.MaxWait)
		}
	}
	return s.act(ctx, run, inst, sc)
}

// pointless says why acting now would do nothing ("" when it would not):
// restarting, updating or sending to a stopped server.
func (s *Service) pointless(ctx context.Context, sc Schedule) string {
	if sc.Action == Start || sc.Action == Stop || sc.Action == Backup {
		return ""
	}
	st, err := s.cfg.Instances.Status(ctx, sc.Instance)
	if err == nil && st.State == instance.Running {
		if sc.Action != Update {
			return ""
		}
		stale, err := s.stale(ctx)
		if err != nil || slices.Contains(stale, sc.Instance) {
			return ""
		}
		return sc.Instance + " already runs the newest generations; nothing to update"
	}
	return sc.Instance + " is not running; nothing to " + string(sc.Action)
}

func (s *Service) stale(ctx context.Context) ([]string, error) {
	if s.cfg.Stale == nil {
		return nil, errors.New("schedules: no way to tell stale instances")
	}
	return s.cfg.Stale(ctx)
}

// act does the schedule's action now.
func (s *Service) act(ctx context.Context, run *jobs.Run, inst instance.Instance, sc Schedule) (string, error) {
	switch sc.Action {
	case RCON:
		if s.cfg.Console == nil {
			return "", rcon.ErrUnavailable
		}
		e, err := s.cfg.Console.Send(ctx, inst, rcon.User{ID: sc.CreatedBy, Name: Actor, MaySeeSecrets: sc.SecretsOK}, sc.Command)
		if err != nil {
			return "", err
		}
		run.Logf("sent %q; reply: %s", sc.Command, strings.TrimSpace(e.Response))
		return "sent " + sc.Command, nil
	case Backup:
		if s.cfg.Backups == nil {
			return "", errors.New("backups are not set up on this panel")
		}
		done, err := s.cfg.Backups.Scheduled(ctx, inst.Name)
		if err != nil {
			return "", err
		}
		run.Logf("%s", done)
		return done, nil
	case Update:
		sc.Action = Restart
	}
	a, err := instance.ParseAction(string(sc.Action))
	if err != nil {
		return "", err
	}
	if err := s.cfg.Instances.Do(ctx, a, inst.Name); err != nil {
		return "", err
	}
	run.Logf("%s %s", a.Past(), inst.Name)
	return a.Past() + " " + inst.Name, nil
}

// occupied reports whether name may have humans on it now, and how many
// (-1: not known yet, which counts as occupied).
func (s *Service) occupied(name string) (int, bool) {
	if s.cfg.Humans == nil {
		return 0, false
	}
	n, known := s.cfg.Humans.Humans(name)
	if !known {
		return -1, true
	}
	return n, n > 0
}

// players describes occupied's count.
func players(n int) string {
	if n < 0 {
		return "players not known yet"
	}
	return fmt.Sprintf("%d playing", n)
}

// waitEmpty waits until no human plays on name, or until deadline. It
// reports whether the server is empty.
func (s *Service) waitEmpty(ctx context.Context, run *jobs.Run, name string, deadline time.Time) (bool, error) {
	said := false
	for {
		n, busy := s.occupied(name)
		if !busy {
			if said {
				run.Logf("%s is empty now", name)
			}
			return true, nil
		}
		now := s.cfg.Clock.Now()
		if !now.Before(deadline) {
			return false, nil
		}
		if !said {
			run.Logf("waiting for %s to empty (%s) until %s", name, players(n), deadline.In(s.cfg.Location).Format(time.DateTime))
			run.Progress(0, fmt.Sprintf("waiting for %s to empty (%s)", name, players(n)))
			said = true
		}
		select {
		case <-ctx.Done():
			return false, context.Cause(ctx)
		case <-s.cfg.Clock.After(min(s.cfg.PollEvery, deadline.Sub(now))):
		}
	}
}

// sleepUntil waits on the clock until t.
func (s *Service) sleepUntil(ctx context.Context, t time.Time) error {
	for {
		d := t.Sub(s.cfg.Clock.Now())
		if d <= 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-s.cfg.Clock.After(d):
		}
	}
}

// warnText is the announcement made lead before the action.
func warnText(a Action, lead time.Duration) string {
	what := map[Action]string{Restart: "restarts", Stop: "shuts down", Update: "restarts for an update", RCON: "has maintenance"}[a]
	in := fmt.Sprintf("%d minutes", int(lead/time.Minute))
	switch {
	case lead == time.Minute:
		in = "1 minute"
	case lead < time.Minute:
		in = fmt.Sprintf("%d seconds", int(lead/time.Second))
	}
	return fmt.Sprintf("The server %s in %s.", what, in)
}

// warn announces the action with say at each of WarnLeads before slot,
// then waits for slot. An announcement whose time passed before the next
// one's came (an attempt that started late) is left out: it would say the
// wrong time.
func (s *Service) warn(ctx context.Context, run *jobs.Run, inst instance.Instance, sc Schedule, slot time.Time) error {
	for i, l := range WarnLeads {
		at := slot.Add(-l)
		until := slot
		if i+1 < len(WarnLeads) {
			until = slot.Add(-WarnLeads[i+1])
		}
		if !s.cfg.Clock.Now().Before(until) {
			continue
		}
		if err := s.sleepUntil(ctx, at); err != nil {
			return err
		}
		text := warnText(sc.Action, l)
		if s.cfg.Console == nil {
			run.Logf("no console to announce %q", text)
			continue
		}
		if _, err := s.cfg.Console.Send(ctx, inst, rcon.User{ID: sc.CreatedBy, Name: Actor}, `say "`+text+`"`); err != nil {
			// Players miss a warning; the action still happens on time.
			run.Logf("announce %q: %v", text, err)
			continue
		}
		run.Logf("announced: %s", text)
	}
	return s.sleepUntil(ctx, slot)
}

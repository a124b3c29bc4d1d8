package schedule

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/jobs"
)

// tickThrough ticks e's scheduler every step from from to until and
// returns how many jobs were queued.
func tickThrough(t *testing.T, e *testEnv, from, until time.Time, step time.Duration) int {
	t.Helper()
	n := 0
	for now := from; now.Before(until); now = now.Add(step) {
		e.clock.Set(now)
		q, err := e.svc.Tick(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		n += q
	}
	return n
}

// TestSchedulerAcrossDaylightSaving ticks a daily 02:30 schedule in
// Europe/Berlin every five minutes over the spring-forward and the
// fall-back days: each day is queued exactly once (no double run, no
// missed run), the skipped 02:30 at 03:30.
func TestSchedulerAcrossDaylightSaving(t *testing.T) {
	loc := berlin(t)
	for _, c := range []struct {
		name     string
		from     time.Time
		wantDays []string
	}{
		{"spring forward", time.Date(2026, 3, 27, 12, 0, 0, 0, loc), []string{
			"2026-03-28 02:30 CET", "2026-03-29 03:30 CEST", "2026-03-30 02:30 CEST"}},
		{"fall back", time.Date(2026, 10, 23, 12, 0, 0, 0, loc), []string{
			"2026-10-24 02:30 CEST", "2026-10-25 02:30 CET", "2026-10-26 02:30 CET"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newTestEnv(t, loc, c.from, nil)
			e.add(Spec{Action: "restart", When: "daily 02:30", Policy: "now"})
			tickThrough(t, e, c.from, c.from.Add(3*24*time.Hour), 5*time.Minute)
			list := e.runJobs()
			var got []string
			for _, j := range list {
				var a RunArgs
				if err := jsonArgs(j.Args, &a); err != nil {
					t.Fatal(err)
				}
				got = append(got, a.Slot.In(loc).Format("2006-01-02 15:04 MST"))
			}
			if len(got) != len(c.wantDays) {
				t.Fatalf("queued %v, want %v", got, c.wantDays)
			}
			for i := range got {
				if got[i] != c.wantDays[i] {
					t.Errorf("run %d at %s, want %s", i, got[i], c.wantDays[i])
				}
			}
		})
	}
}

// TestNoDoubleRun: two schedulers over one database (two panels, or one
// restarted), and one that lost its record of the last slot, queue one job
// per slot between them.
func TestNoDoubleRun(t *testing.T) {
	loc := time.UTC
	start := time.Date(2026, 6, 1, 3, 0, 0, 0, loc)
	path := t.TempDir() + "/left4me.db"
	a := newTestEnvAt(t, path, loc, start, nil)
	b := newTestEnvAt(t, path, loc, start, nil) // a second process on the same database
	a.startWorkers()
	a.add(Spec{Action: "restart", When: "04:00", Policy: "now"})
	ctx := context.Background()
	at := time.Date(2026, 6, 1, 4, 0, 0, 0, loc)
	a.clock.Set(at)
	b.clock.Set(at)
	qa, err := a.svc.Tick(ctx)
	if err != nil {
		t.Fatal(err)
	}
	qb, err := b.svc.Tick(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if qa+qb != 1 || len(a.runJobs()) != 1 {
		t.Fatalf("two schedulers queued %d + %d jobs (%d stored), want 1", qa, qb, len(a.runJobs()))
	}
	if j := a.waitJob(a.runJobs()[0].ID); j.State != jobs.StateSucceeded {
		t.Fatalf("job %s: %+v", j.State, j.Errors)
	}
	// A scheduler that died after queueing, before recording the slot:
	// the next one sees the slot as due again, and the queue refuses it,
	// though the slot's job has finished.
	if _, err := a.st.DB().ExecContext(ctx, `UPDATE schedules SET last_slot = ''`); err != nil {
		t.Fatal(err)
	}
	c := newTestEnvAt(t, path, loc, at.Add(time.Minute), nil)
	if q, err := c.svc.Tick(ctx); err != nil || q != 0 {
		t.Fatalf("restarted scheduler queued %d (%v), want 0", q, err)
	}
	if n := len(a.runJobs()); n != 1 {
		t.Fatalf("%d jobs for one slot", n)
	}
	if got := a.rec.done(); len(got) != 1 {
		t.Fatalf("actions %v, want one restart", got)
	}
	// The next day's slot is a new job.
	c.clock.Set(at.Add(24 * time.Hour))
	if q, err := c.svc.Tick(ctx); err != nil || q != 1 {
		t.Fatalf("next day queued %d (%v), want 1", q, err)
	}
}

// TestMissedSlots: a scheduler that was down runs the newest missed slot
// once when it is found within MissedGrace, and none older.
func TestMissedSlots(t *testing.T) {
	loc := time.UTC
	start := time.Date(2026, 6, 1, 0, 0, 0, 0, loc)
	e := newTestEnv(t, loc, start, func(c *Config) { c.MissedGrace = 30 * time.Minute })
	e.add(Spec{Action: "restart", When: "cron 0 * * * *", Policy: "now"})
	e.clock.Set(start.Add(5*time.Hour + 20*time.Minute)) // down over five slots
	if q, err := e.svc.Tick(context.Background()); err != nil || q != 1 {
		t.Fatalf("queued %d (%v), want the newest missed slot only", q, err)
	}
	e.clock.Set(start.Add(9*time.Hour + 45*time.Minute)) // 09:00 is 45 minutes late
	if q, err := e.svc.Tick(context.Background()); err != nil || q != 0 {
		t.Fatalf("queued %d (%v) for a slot later than the grace, want 0", q, err)
	}
	e.clock.Set(start.Add(10 * time.Hour))
	if q, err := e.svc.Tick(context.Background()); err != nil || q != 1 {
		t.Fatalf("queued %d (%v) at the next slot, want 1", q, err)
	}
}

// TestBadInput: each bad field is refused with an error naming it, and
// nothing is stored.
func TestBadInput(t *testing.T) {
	e := newTestEnv(t, time.UTC, time.Now(), nil)
	for _, c := range []struct {
		sp    Spec
		field string
	}{
		{Spec{Action: "reboot", When: "04:00"}, FieldAction},
		{Spec{Action: "", When: "04:00"}, FieldAction},
		{Spec{Action: "restart", When: "0 4 * *"}, FieldWhen},
		{Spec{Action: "restart", When: "99 4 * * *"}, FieldWhen},
		{Spec{Action: "restart", When: ""}, FieldWhen},
		{Spec{Action: "restart", When: "04:00", Policy: "eventually"}, FieldPolicy},
		{Spec{Action: "restart", When: "04:00", Policy: "when-empty", MaxWait: "-5m"}, FieldMaxWait},
		{Spec{Action: "restart", When: "04:00", Policy: "when-empty", MaxWait: "soon"}, FieldMaxWait},
		{Spec{Action: "restart", When: "04:00", Policy: "when-empty", MaxWait: "48h"}, FieldMaxWait},
		{Spec{Action: "restart", When: "04:00", Policy: "now", MaxWait: "1h"}, FieldMaxWait},
		{Spec{Action: "restart", When: "04:00", Policy: "when-empty", OnTimeout: "maybe"}, FieldOnTimeout},
		{Spec{Action: "start", When: "04:00", Policy: "warn"}, FieldPolicy},
		{Spec{Action: "rcon", When: "04:00"}, FieldCommand},
		{Spec{Action: "restart", Command: "status", When: "04:00"}, FieldCommand},
	} {
		_, err := e.svc.Add(context.Background(), "alpha", c.sp, User{ID: e.owner.ID})
		var fe *instance.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field || !errors.Is(err, instance.ErrInvalid) {
			t.Errorf("Add(%+v) = %v, want a field error on %s", c.sp, err, c.field)
		}
	}
	// A secret cvar needs the owner's or an administrator's rights.
	_, err := e.svc.Add(context.Background(), "alpha", Spec{Action: "rcon", Command: "sv_password x", When: "04:00"}, User{ID: e.owner.ID})
	var fe *instance.FieldError
	if !errors.As(err, &fe) || fe.Field != FieldCommand {
		t.Errorf("secret cvar from a shared user: %v, want a field error on command", err)
	}
	if list, err := e.svc.List(context.Background(), "alpha"); err != nil || len(list) != 0 {
		t.Fatalf("after bad input: %d schedules (%v), want none", len(list), err)
	}
	if _, err := e.svc.Add(context.Background(), "nosuch", Spec{Action: "restart", When: "04:00"}, User{}); !errors.Is(err, instance.ErrNotFound) {
		t.Errorf("unknown instance: %v", err)
	}
	sc := e.add(Spec{Action: "restart", When: "04:00"})
	if sc.Policy != WhenEmpty || sc.MaxWait != DefaultMaxWait || sc.OnTimeout != RunAnyway {
		t.Errorf("defaults: %+v", sc)
	}
	if err := e.svc.Remove(context.Background(), "alpha", sc.ID+100); !errors.Is(err, ErrNotFound) {
		t.Errorf("remove unknown: %v", err)
	}
	if err := e.svc.Remove(context.Background(), "alpha", sc.ID); err != nil {
		t.Errorf("remove: %v", err)
	}
}

package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/jobs"
	"github.com/left4me/left4me/internal/live"
	"github.com/left4me/left4me/internal/rcon"
	"github.com/left4me/left4me/internal/store"
)

// Instances is what schedules need of the instance service
// (*instance.Service).
type Instances interface {
	Get(ctx context.Context, name string) (instance.Instance, error)
	Status(ctx context.Context, name string) (instance.Status, error)
	Do(ctx context.Context, a instance.Action, name string) error
}

// Console sends a console command under the RCON policy (*rcon.Console).
type Console interface {
	Send(ctx context.Context, inst instance.Instance, u rcon.User, command string) (store.RCONEntry, error)
}

// Humans says how many humans play on a running instance now (the live
// poller's last answer). known is false when nothing is known yet (the
// instance has not been polled since it or the panel started): a
// when-empty action then waits for a first answer like for players. A
// server that stopped answering is known to be empty: nobody can play on
// it.
type Humans interface {
	Humans(name string) (n int, known bool)
}

// HumansFunc adapts a function to Humans.
type HumansFunc func(name string) (int, bool)

// Humans calls f.
func (f HumansFunc) Humans(name string) (int, bool) { return f(name) }

// PollerHumans counts humans from the live poller's snapshots, as Humans
// says: no snapshot is unknown, an offline server empty.
func PollerHumans(p *live.Poller) Humans {
	return HumansFunc(func(name string) (int, bool) {
		snap, ok := p.Snapshot(name)
		switch {
		case !ok:
			return 0, false
		case !snap.Online:
			return 0, true
		}
		return snap.Humans, true
	})
}

// Backups makes a scheduled backup of an instance and prunes the older
// ones (*backup.Service); it says what it did.
type Backups interface {
	Scheduled(ctx context.Context, name string) (string, error)
}

// StaleFunc lists the running instances staged on an older generation of
// the installation or of a layer (content.StaleRunning).
type StaleFunc func(ctx context.Context) ([]string, error)

// Config is what a Service is built from. Store is required; the CLI's
// Service, which only adds, lists and removes, needs nothing else.
type Config struct {
	Store     *store.Store
	Jobs      *jobs.Manager
	Instances Instances
	Console   Console
	// Humans counts players for when-empty; nil: every instance counts
	// as empty (no live view to ask).
	Humans Humans
	Stale  StaleFunc
	// Backups runs the backup action; nil: a backup schedule fails
	// saying backups are not set up.
	Backups    Backups
	RCONPolicy rcon.Policy
	// Location is the host's time zone, in which schedules run;
	// time.Local when nil.
	Location *time.Location
	Clock    Clock    // RealClock when nil
	Notifier Notifier // NopNotifier when nil
	Auditor  Auditor  // NopAuditor when nil
	Logger   *slog.Logger
	// PollEvery is how often a waiting when-empty action looks at the
	// players again. Default 15 s.
	PollEvery time.Duration
	// MissedGrace: a slot that passed while no scheduler ran (the panel was
	// down) still runs when the scheduler finds it at most this late;
	// older ones are passed over. Only the newest missed slot runs. Default
	// 1 hour.
	MissedGrace time.Duration
	// Interval bounds how long the scheduler sleeps between looks at the
	// schedules (schedules added by the CLI are seen within it). Default
	// 30 s.
	Interval time.Duration
}

// Service adds, lists and removes schedules, runs the scheduler (Run) and
// the jobs it queues (RegisterJobs).
type Service struct {
	cfg Config
	log *slog.Logger
}

// New returns a Service.
func New(cfg Config) *Service {
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	if cfg.Clock == nil {
		cfg.Clock = RealClock{}
	}
	if cfg.Notifier == nil {
		cfg.Notifier = NopNotifier{}
	}
	if cfg.Auditor == nil {
		cfg.Auditor = NopAuditor{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.PollEvery <= 0 {
		cfg.PollEvery = 15 * time.Second
	}
	if cfg.MissedGrace <= 0 {
		cfg.MissedGrace = time.Hour
	}
	if cfg.Interval <= 0 {
		cfg.Interval = 30 * time.Second
	}
	return &Service{cfg: cfg, log: cfg.Logger}
}

// Location is the time zone schedules run in.
func (s *Service) Location() *time.Location { return s.cfg.Location }

// ZoneName names loc for people: its IANA name, or for the process's
// unnamed local zone its abbreviation now ("CET") and offset.
func ZoneName(loc *time.Location, now time.Time) string {
	if loc.String() != "Local" {
		return loc.String()
	}
	abbr, off := now.In(loc).Zone()
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	return fmt.Sprintf("%s (UTC%s%02d:%02d)", abbr, sign, off/3600, off%3600/60)
}

// User is who adds a schedule: the account (0: the system, the CLI) and
// whether it may name secret cvars (the instance's owner, an
// administrator, the system).
type User struct {
	ID            int64
	MaySeeSecrets bool
}

// Add validates sp and stores it as a schedule of instance name. Bad input
// is an instance.FieldError naming the field; nothing is stored then.
func (s *Service) Add(ctx context.Context, name string, sp Spec, u User) (Schedule, error) {
	v, err := Validate(sp, s.cfg.RCONPolicy, u.MaySeeSecrets)
	if err != nil {
		return Schedule{}, err
	}
	rec, err := s.cfg.Store.CreateSchedule(ctx, store.Schedule{
		Instance: name, Action: string(v.Action), Command: v.Command,
		WhenKind: string(v.When.Kind), WhenSpec: v.When.Spec, Policy: string(v.Policy),
		MaxWait: v.MaxWait, OnTimeout: string(v.OnTimeout), SecretsOK: u.MaySeeSecrets,
		CreatedBy: u.ID, CreatedAt: s.cfg.Clock.Now(),
	})
	if errors.Is(err, store.ErrNotFound) {
		return Schedule{}, fmt.Errorf("instance %q: %w", name, instance.ErrNotFound)
	}
	if err != nil {
		return Schedule{}, err
	}
	return fromRecord(rec)
}

// List returns the schedules of instance name ("" for all), oldest first.
func (s *Service) List(ctx context.Context, name string) ([]Schedule, error) {
	recs, err := s.cfg.Store.ListSchedules(ctx, name)
	if err != nil {
		return nil, err
	}
	out := make([]Schedule, 0, len(recs))
	for _, r := range recs {
		sc, err := fromRecord(r)
		if err != nil {
			s.log.Warn("unreadable schedule", "id", r.ID, "instance", r.Instance, "err", err)
			continue
		}
		out = append(out, sc)
	}
	return out, nil
}

// Remove deletes schedule id of instance name; ErrNotFound when it has
// none with that id. A run already queued finds it gone and does nothing.
func (s *Service) Remove(ctx context.Context, name string, id int64) error {
	err := s.cfg.Store.DeleteSchedule(ctx, name, id)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%s has no schedule %d: %w", name, id, ErrNotFound)
	}
	return err
}

// NextRun is when sc next runs (its next slot not yet handed to the job
// queue); zero when never.
func (s *Service) NextRun(sc Schedule) time.Time {
	from := sc.CreatedAt
	if sc.LastSlot.After(from) {
		from = sc.LastSlot
	}
	if now := s.cfg.Clock.Now().Add(-s.cfg.MissedGrace); now.After(from) {
		from = now
	}
	return sc.When.Next(from, s.cfg.Location)
}

// fromRecord reads a stored schedule back.
func fromRecord(r store.Schedule) (Schedule, error) {
	w, err := ParseWhen(r.WhenKind + " " + r.WhenSpec)
	if err != nil {
		return Schedule{}, fmt.Errorf("schedule %d: %w", r.ID, err)
	}
	return Schedule{
		ID: r.ID, Instance: r.Instance, Action: Action(r.Action), Command: r.Command, When: w,
		Policy: Policy(r.Policy), MaxWait: r.MaxWait, OnTimeout: OnTimeout(r.OnTimeout),
		SecretsOK: r.SecretsOK, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt, LastSlot: r.LastSlot,
	}, nil
}

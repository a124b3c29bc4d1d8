// Package canary tries a new installation generation on one chosen
// instance before the others move to it (docs/operations.md §6).
//
// An install asked for with a canary publishes the new generation while
// holding the old default (layout.HoldDefault), so no other start picks
// it. The canary job then pins the chosen instance to the new generation,
// (re)starts it and watches it: it passes when the server reaches running,
// answers A2S and RCON, and its console shows none of the failure patterns
// within the window (60 s). A pass makes the new generation the default
// (layout.SetDefault), unpins the instance and queues the rolling restart
// that moves the others; a failure leaves the old default in place, puts
// the instance back where it was, and notifies canary.failed.
package canary

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/jobs"
	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/srcds"
)

// Kind is the job kind of a canary run (Args).
const Kind = "install_canary"

// DefaultWindow is how long the canary's console is watched.
const DefaultWindow = 60 * time.Second

// DefaultPatterns are the console lines that fail a canary: SourceMod's
// gamedata and plugin failures after a game update, and a crash.
var DefaultPatterns = []string{"Signature broken", "Failed to load", "[SM] Unable to load plugin", "Segmentation fault"}

// Args are a canary job's arguments.
type Args struct {
	Instance   string `json:"instance"`
	Generation string `json:"generation"`
}

// The fields a FieldError of this package names.
const (
	FieldCanary     = "canary"
	FieldGeneration = "generation"
)

// Instances is what a canary needs of the instance service
// (*instance.Service).
type Instances interface {
	Get(ctx context.Context, name string) (instance.Instance, error)
	Status(ctx context.Context, name string) (instance.Status, error)
	Do(ctx context.Context, a instance.Action, name string) error
	Update(ctx context.Context, name string, u instance.Update) (instance.Instance, error)
}

// Notifier hears canary.passed and canary.failed (*notify.Service).
type Notifier interface {
	Notify(ctx context.Context, event, instance string, detail map[string]any)
}

// Events of a canary (notify.EventCanaryPassed, notify.EventCanaryFailed).
const (
	EventPassed = "canary.passed"
	EventFailed = "canary.failed"
)

// Config configures a Service.
type Config struct {
	Root      layout.Root
	Instances Instances
	Logs      instance.LogReader
	// Host is the address the server is queried on: the real server
	// answers A2S only on a non-loopback address (docs/srcds.md §8).
	Host netip.Addr
	// Query and Dial reach the server; nil are srcds.Query and srcds.Dial.
	Query func(ctx context.Context, addr string) (srcds.Info, []srcds.Player, error)
	Dial  func(ctx context.Context, addr, password string) (*srcds.RCON, error)
	// Promote queues the rolling restart that moves the other instances
	// once the canary passed; nil moves none (they move at their next
	// start).
	Promote  func(ctx context.Context, userID int64) (jobID int64, err error)
	Notifier Notifier
	// Window is how long the console is watched; zero is DefaultWindow.
	Window time.Duration
	// Patterns fail the canary when a console line contains one; nil is
	// DefaultPatterns.
	Patterns []string
	Logger   *slog.Logger
}

// Service runs canaries.
type Service struct {
	cfg Config
}

// New returns a Service.
func New(cfg Config) *Service {
	if cfg.Query == nil {
		cfg.Query = srcds.Query
	}
	if cfg.Dial == nil {
		cfg.Dial = srcds.Dial
	}
	if cfg.Window <= 0 {
		cfg.Window = DefaultWindow
	}
	if cfg.Patterns == nil {
		cfg.Patterns = DefaultPatterns
	}
	if cfg.Notifier == nil {
		cfg.Notifier = nopNotifier{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{cfg: cfg}
}

type nopNotifier struct{}

func (nopNotifier) Notify(context.Context, string, string, map[string]any) {}

// Check refuses a canary that cannot run: an instance that does not exist
// (a FieldError naming canary) or a generation that does not exist (naming
// generation; "" is the newest, which need not exist yet when the canary
// follows an install). Nothing changes.
func (s *Service) Check(ctx context.Context, a Args) error {
	return Check(ctx, s.cfg.Root, s.cfg.Instances, a)
}

// Getter finds an instance (*instance.Service).
type Getter interface {
	Get(ctx context.Context, name string) (instance.Instance, error)
}

// Check is Service.Check for callers without a Service (the CLI).
func Check(ctx context.Context, root layout.Root, in Getter, a Args) error {
	if a.Instance == "" {
		return &instance.FieldError{Field: FieldCanary, Err: errors.New("name the instance to try the new generation on")}
	}
	if _, err := in.Get(ctx, a.Instance); err != nil {
		if errors.Is(err, instance.ErrNotFound) {
			return &instance.FieldError{Field: FieldCanary, Err: fmt.Errorf("no instance named %q", a.Instance)}
		}
		return err
	}
	if a.Generation != "" && !layout.HasGeneration(root.Installations(), a.Generation) {
		gens, _ := layout.Generations(root.Installations())
		return &instance.FieldError{Field: FieldGeneration, Err: fmt.Errorf("the installation has no generation %q (it has %v)", a.Generation, gens)}
	}
	return nil
}

// Enqueue queues a canary job on behalf of userID (0: the system); a
// canary already queued or running for the same arguments is answered
// instead (duplicate). Check the arguments first.
func Enqueue(ctx context.Context, m *jobs.Manager, a Args, userID int64) (id int64, duplicate bool, err error) {
	return m.Enqueue(ctx, Kind, a, jobs.EnqueueOpts{UserID: userID, Unique: true})
}

// RegisterJobs registers Kind with m.
func (s *Service) RegisterJobs(m *jobs.Manager) error {
	return m.Register(Kind, func(ctx context.Context, run *jobs.Run) error {
		var a Args
		if err := run.Args(&a); err != nil {
			return err
		}
		res, err := s.Run(ctx, a, run.UserID(), run)
		if err != nil {
			if res.Failed {
				return jobs.Permanent(err)
			}
			return err
		}
		return nil
	}, jobs.KindOptions{MaxAttempts: 1, Timeout: s.cfg.Window + 15*time.Minute})
}

// Progress is what a run reports to (*jobs.Run).
type Progress interface {
	Progress(fraction float64, msg string)
	Logf(format string, args ...any)
}

// Result is a canary run's outcome.
type Result struct {
	Instance, Generation string
	// Previous is the default generation before the canary.
	Previous string
	// Passed: the generation is the default now. Failed: the canary ran
	// and failed (Reason says why); neither: it could not run.
	Passed, Failed bool
	Reason         string
	// RollingJob is the rolling restart queued after a pass (0: none).
	RollingJob int64
}

// Run tries generation a.Generation ("" the newest) on instance
// a.Instance, as the package comment says. A failed canary returns an
// error with Result.Failed set.
func (s *Service) Run(ctx context.Context, a Args, userID int64, p Progress) (Result, error) {
	res := Result{Instance: a.Instance, Generation: a.Generation}
	installs := s.cfg.Root.Installations()
	if res.Generation == "" {
		g, err := layout.Newest(installs)
		if err != nil {
			return res, err
		}
		res.Generation = g
	}
	if err := s.Check(ctx, Args{Instance: a.Instance, Generation: res.Generation}); err != nil {
		return res, jobs.Permanent(err)
	}
	if res.Generation == "" {
		return res, jobs.Permanent(errors.New("canary: the game is not installed"))
	}
	prev, err := layout.Default(installs)
	if err != nil {
		return res, err
	}
	res.Previous = prev
	if prev == res.Generation {
		p.Logf("generation %s is already the default; the canary on %s has nothing to decide", res.Generation, a.Instance)
		res.Passed = true
		return res, nil
	}
	in, err := s.cfg.Instances.Get(ctx, a.Instance)
	if err != nil {
		return res, err
	}
	oldPin := in.Pins[layout.PinInstallation]
	st, err := s.cfg.Instances.Status(ctx, a.Instance)
	if err != nil {
		return res, err
	}
	wasRunning := st.State == instance.Running || st.State == instance.Starting
	p.Logf("canary: %s tries installation generation %s (the others stay on %s)", a.Instance, res.Generation, prev)
	if _, err := s.cfg.Instances.Update(ctx, a.Instance, instance.Update{Pin: map[string]string{layout.PinInstallation: res.Generation}}); err != nil {
		return res, fmt.Errorf("canary: pin %s to %s: %w", a.Instance, res.Generation, err)
	}
	reason := s.watch(ctx, in, wasRunning, p)
	if ctx.Err() != nil && reason != "" {
		// Interrupted: put the instance back, decide nothing.
		s.restore(context.WithoutCancel(ctx), a.Instance, oldPin, wasRunning, p)
		return res, fmt.Errorf("canary on %s interrupted: %w", a.Instance, context.Cause(ctx))
	}
	if reason != "" {
		res.Failed, res.Reason = true, reason
		p.Logf("canary FAILED: %s", reason)
		s.restore(ctx, a.Instance, oldPin, wasRunning, p)
		s.cfg.Notifier.Notify(ctx, EventFailed, a.Instance, map[string]any{
			"generation": res.Generation, "default": prev, "reason": reason,
		})
		return res, fmt.Errorf("canary on %s failed on installation generation %s: %s; %s stays the default (left4me install --list)", a.Instance, res.Generation, reason, prev)
	}
	// Passed: the new generation is the default, the canary keeps
	// running on it without a pin, the others follow.
	if err := layout.SetDefault(installs, res.Generation); err != nil {
		return res, fmt.Errorf("canary passed, but: %w", err)
	}
	res.Passed = true
	u := instance.Update{Unpin: []string{layout.PinInstallation}}
	if oldPin != "" {
		u = instance.Update{Pin: map[string]string{layout.PinInstallation: oldPin}}
	}
	if _, err := s.cfg.Instances.Update(ctx, a.Instance, u); err != nil {
		p.Logf("warning: restore the pins of %s: %v", a.Instance, err)
	}
	p.Logf("canary passed: installation generation %s is the default now", res.Generation)
	detail := map[string]any{"generation": res.Generation, "previous": prev}
	if s.cfg.Promote != nil {
		id, err := s.cfg.Promote(ctx, userID)
		if err != nil {
			p.Logf("warning: queue the rolling restart: %v", err)
		} else {
			res.RollingJob = id
			detail["rolling_restart_job"] = id
			p.Logf("queued the rolling restart (job %d) that moves the other running instances", id)
		}
	}
	s.cfg.Notifier.Notify(ctx, EventPassed, a.Instance, detail)
	p.Progress(1, "canary passed on "+a.Instance)
	return res, nil
}

// watch (re)starts the pinned canary and watches it for the window. It
// returns why it failed, or "" when it passed.
func (s *Service) watch(ctx context.Context, in instance.Instance, wasRunning bool, p Progress) string {
	wctx, cancel := context.WithTimeout(ctx, s.cfg.Window)
	defer cancel()
	bad := make(chan string, 1)
	var once sync.Once
	followed := make(chan struct{})
	if s.cfg.Logs != nil {
		go func() {
			defer close(followed)
			_ = s.cfg.Logs.Follow(wctx, in.Name, func(line string) {
				if pat := s.match(line); pat != "" {
					once.Do(func() {
						bad <- fmt.Sprintf("console line %q matches the failure pattern %q", strings.TrimSpace(line), pat)
					})
				}
			})
		}()
	} else {
		close(followed)
	}
	defer func() { cancel(); <-followed }()

	action := instance.Start
	if wasRunning {
		action = instance.Restart
	}
	p.Progress(0.1, string(action)+"ing "+in.Name)
	if err := s.cfg.Instances.Do(wctx, action, in.Name); err != nil {
		return firstOf(bad, fmt.Sprintf("%s %s: %v", action, in.Name, err))
	}
	if err := s.until(wctx, bad, func(ctx context.Context) error {
		st, err := s.cfg.Instances.Status(ctx, in.Name)
		switch {
		case err != nil:
			return err
		case st.State == instance.Failed:
			return giveUp{fmt.Errorf("it failed (%s)", st.Result)}
		case st.State != instance.Running:
			return fmt.Errorf("it is %s", st.State)
		}
		return nil
	}); err != nil {
		return firstOf(bad, fmt.Sprintf("%s did not reach running: %v", in.Name, err))
	}
	p.Logf("%s is running", in.Name)
	got, err := s.cfg.Instances.Get(wctx, in.Name)
	if err != nil {
		return firstOf(bad, err.Error())
	}
	addr := netip.AddrPortFrom(s.cfg.Host, uint16(got.ServerPort())).String()
	p.Progress(0.3, "querying "+addr)
	if err := s.until(wctx, bad, func(ctx context.Context) error {
		_, _, err := s.cfg.Query(ctx, addr)
		return err
	}); err != nil {
		return firstOf(bad, fmt.Sprintf("no A2S answer from %s within %s: %v", addr, s.cfg.Window, err))
	}
	p.Logf("%s answers A2S", addr)
	if err := s.until(wctx, bad, func(ctx context.Context) error {
		c, err := s.cfg.Dial(ctx, addr, got.RCONPassword)
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.Exec(ctx, "status")
		return err
	}); err != nil {
		return firstOf(bad, fmt.Sprintf("no RCON answer from %s within %s: %v", addr, s.cfg.Window, err))
	}
	p.Logf("%s answers RCON", addr)
	p.Progress(0.5, "watching the console of "+in.Name+" for "+s.cfg.Window.String())
	select {
	case r := <-bad:
		return r
	case <-wctx.Done():
	}
	if ctx.Err() != nil {
		return "interrupted"
	}
	// The window is over: one more look at what the follower may have
	// delivered last.
	select {
	case r := <-bad:
		return r
	default:
	}
	if st, err := s.cfg.Instances.Status(ctx, in.Name); err != nil || st.State != instance.Running {
		return fmt.Sprintf("%s stopped running during the window (%s, %v)", in.Name, st.State, err)
	}
	return ""
}

// until calls f every half second until it succeeds, returns a giveUp, a
// console line failed the canary (the line wins) or ctx ends; it returns
// the last error.
func (s *Service) until(ctx context.Context, bad chan string, f func(ctx context.Context) error) error {
	var last error
	for {
		tctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		err := f(tctx)
		cancel()
		if err == nil {
			return nil
		}
		last = err
		if g, ok := err.(giveUp); ok {
			return g.error
		}
		select {
		case r := <-bad:
			bad <- r // firstOf reads it
			return errors.New(r)
		case <-ctx.Done():
			return last
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// giveUp ends until at once: trying again cannot help.
type giveUp struct{ error }

// firstOf prefers a failing console line (it explains the rest) to reason.
func firstOf(bad chan string, reason string) string {
	select {
	case r := <-bad:
		return r
	default:
		return reason
	}
}

// match returns the pattern line contains, or "".
func (s *Service) match(line string) string {
	i := slices.IndexFunc(s.cfg.Patterns, func(p string) bool { return p != "" && strings.Contains(line, p) })
	if i < 0 {
		return ""
	}
	return s.cfg.Patterns[i]
}

// restore puts a failed canary back: its old pin (none, usually) and, when
// it was running, a restart onto the default generation; else a stop.
func (s *Service) restore(ctx context.Context, name, oldPin string, wasRunning bool, p Progress) {
	u := instance.Update{Unpin: []string{layout.PinInstallation}}
	if oldPin != "" {
		u = instance.Update{Pin: map[string]string{layout.PinInstallation: oldPin}}
	}
	if _, err := s.cfg.Instances.Update(ctx, name, u); err != nil {
		p.Logf("warning: restore the pins of %s: %v", name, err)
	}
	action := instance.Stop
	if wasRunning {
		action = instance.Restart
	}
	if err := s.cfg.Instances.Do(ctx, action, name); err != nil {
		p.Logf("warning: %s %s after the canary: %v", action, name, err)
		return
	}
	if wasRunning {
		p.Logf("restarted %s on the default generation", name)
	} else {
		p.Logf("stopped %s (it was stopped before the canary)", name)
	}
}

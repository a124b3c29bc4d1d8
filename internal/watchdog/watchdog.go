// Package watchdog restarts game servers that are frozen: their unit is
// active but the server answers neither RCON `status` nor A2S and prints
// nothing. It decides from what the panel already watches — the live
// poller's probes (internal/live) and the console lines the event
// recorder's followers read (internal/events) — and restarts through the
// instance service, the one path of every power action.
//
// A server is frozen when, for the grace period, it answered neither probe
// and its console did not advance. Not frozen (docs/srcds.md §8): a server
// loading a map (the console shows a map change starting; the load stalls
// both probes), a server under a query flood (A2S slow, RCON answering),
// and a server in its first StartGrace after a start.
package watchdog

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/live"
	"github.com/left4me/left4me/internal/srcds"
	"github.com/left4me/left4me/internal/store"
)

// Defaults of Config.
const (
	DefaultGrace        = 60 * time.Second
	DefaultStartGrace   = 120 * time.Second
	DefaultInterval     = 5 * time.Second
	DefaultMapLoadLimit = 5 * time.Minute
	DefaultMaxRestarts  = 3
)

// Names the watchdog uses outside the package.
const (
	// EventFrozen is the notification of a frozen server, restarted or not.
	EventFrozen = "instance.frozen"
	// EventKind is the kind of the feed event that holds the diagnosis.
	EventKind = "watchdog"
	// Actor is who the audit log says acted.
	Actor = "watchdog"
	// ActionRestart and ActionUnhealthy are the audited actions.
	ActionRestart   = "instance.restart"
	ActionUnhealthy = "instance.unhealthy"
	// RestartWindow is the period MaxRestarts counts over.
	RestartWindow = time.Hour
	// DiagnosisLines is how many console lines a diagnosis holds.
	DiagnosisLines = 50
)

// Config tunes a Watchdog; zero fields take the defaults.
type Config struct {
	// Grace is how long a server must answer no probe and print nothing
	// before it counts as frozen (LEFT4ME_WATCHDOG_GRACE, 60 s).
	Grace time.Duration
	// StartGrace is how long after a start a server is never frozen
	// (120 s): it may still be loading its first map.
	StartGrace time.Duration
	// Interval is how often the servers are judged (5 s).
	Interval time.Duration
	// MapLoadLimit is how long a map change that the console shows
	// starting keeps a silent server from being frozen (5 min): the load
	// stalls both probes (docs/srcds.md §8), but a load that never ends
	// is a freeze too.
	MapLoadLimit time.Duration
	// MaxRestarts is how many restarts per RestartWindow the watchdog
	// makes of one instance; after that it marks it unhealthy (3).
	MaxRestarts int
	Logger      *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.Grace <= 0 {
		c.Grace = DefaultGrace
	}
	if c.StartGrace <= 0 {
		c.StartGrace = DefaultStartGrace
	}
	if c.Interval <= 0 {
		c.Interval = DefaultInterval
	}
	if c.MapLoadLimit <= 0 {
		c.MapLoadLimit = DefaultMapLoadLimit
	}
	if c.MaxRestarts <= 0 {
		c.MaxRestarts = DefaultMaxRestarts
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Instances lists instances and restarts them (*instance.Service).
type Instances interface {
	List(ctx context.Context) ([]instance.Instance, error)
	Do(ctx context.Context, action instance.Action, name string) error
}

// States reports a unit's state (the supervisor).
type States interface {
	Status(ctx context.Context, name string) (instance.Status, error)
}

// Polls is the live poller's last state of each server (*live.Poller).
type Polls interface {
	Snapshot(name string) (live.Snapshot, bool)
}

// Tailer reads the last console lines of an instance (instance.LogReader).
type Tailer interface {
	Tail(ctx context.Context, name string, n int) ([]string, error)
}

// Store keeps the diagnosis, the restarts and the unhealthy mark
// (*store.Store).
type Store interface {
	AddEvent(ctx context.Context, e store.Event) (store.Event, error)
	SetUnhealthy(ctx context.Context, name string, at time.Time, reason string) error
	AddWatchdogRestart(ctx context.Context, name string, at time.Time) error
	WatchdogRestartsSince(ctx context.Context, name string, since time.Time) (int, error)
}

// Notifier sends a notification of an event about an instance (the
// webhooks); detail is the event's payload.
type Notifier interface {
	Notify(ctx context.Context, event, instance string, detail map[string]any)
}

// Auditor records a state-changing action in the audit log.
type Auditor interface {
	Record(ctx context.Context, actor, action, target, summary string, result error)
}

type noNotifier struct{}

func (noNotifier) Notify(context.Context, string, string, map[string]any) {}

type noAuditor struct{}

func (noAuditor) Record(context.Context, string, string, string, string, error) {}

// Deps are the parts a Watchdog works with. Notifier and Auditor may be
// nil (nothing is sent, nothing audited).
type Deps struct {
	Instances Instances
	States    States
	Polls     Polls
	Logs      Tailer
	Store     Store
	Notifier  Notifier
	Auditor   Auditor
}

// Watchdog judges the running servers every Config.Interval and restarts
// the frozen ones. It is safe for concurrent use.
type Watchdog struct {
	cfg  Config
	deps Deps
	log  *slog.Logger
	now  func() time.Time

	mu       sync.Mutex
	consoles map[string]*console
	runs     map[string]*run
}

// console is what the followers saw of one instance's console.
type console struct {
	lastAt time.Time // when the last line was read
	last   string
	// loadingAt is when the console last showed a map change starting
	// that it has not shown finished; zero when none is loading.
	loadingAt time.Time
}

// run is the watchdog's memory of one run of a server.
type run struct {
	since    time.Time // the run's start
	reported bool      // the run was marked unhealthy and notified
}

// New returns a watchdog over deps.
func New(cfg Config, deps Deps) *Watchdog {
	cfg = cfg.withDefaults()
	if deps.Notifier == nil {
		deps.Notifier = noNotifier{}
	}
	if deps.Auditor == nil {
		deps.Auditor = noAuditor{}
	}
	return &Watchdog{cfg: cfg, deps: deps, log: cfg.Logger, now: time.Now,
		consoles: map[string]*console{}, runs: map[string]*run{}}
}

// Config returns the configuration in use, defaults filled in.
func (w *Watchdog) Config() Config { return w.cfg }

// ConsoleLine takes a new console line of an instance (the events
// followers' ConsoleConfig.Observe).
func (w *Watchdog) ConsoleLine(name, line string) { w.consoleLine(name, line) }

// consoleLine takes a console line and returns when the console last
// advanced. A log line counts from its stamp ("L MM/DD/YYYY - HH:MM:SS:",
// the server's local time, which is the panel's: both run on this host)
// rather than from when it was read: a journal follower may deliver late
// (the event followers read the backlog again every 15 s for that), and
// lines a frozen server wrote before it froze must not make it look alive.
func (w *Watchdog) consoleLine(name, line string) time.Time {
	now := w.now()
	at := now
	if ev, err := srcds.ParseLogLine([]byte(line)); err == nil && ev.Time.Before(now) {
		at = ev.Time
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	c := w.consoles[name]
	if c == nil {
		c = &console{}
		w.consoles[name] = c
	}
	c.last = line
	if at.After(c.lastAt) {
		c.lastAt = at
	}

	switch {
	case MapChangeStarts(line):
		c.loadingAt = at
	case MapChangeEnds(line):
		c.loadingAt = time.Time{}
	}
	return c.lastAt
}

// MapChangeStarts reports whether a console line shows a map change
// beginning: the engine's changelevel header, or the log's "Loading map".
func MapChangeStarts(line string) bool {
	return strings.Contains(line, "---- Host_Changelevel ----") || strings.Contains(line, `: Loading map "`)
}

// MapChangeEnds reports whether a console line shows a map loaded: the new
// game on its map, server.cfg running, or the log's "Started map".
func MapChangeEnds(line string) bool {
	return strings.Contains(line, "Host_NewGame on map ") ||
		strings.Contains(line, "Executing dedicated server config file") ||
		strings.Contains(line, `: Started map "`)
}

// loadSlack is how long before the last answer a map change may have
// begun and still be loading: a poll answered just as the load began.
const loadSlack = 5 * time.Second

// Run judges the servers every Config.Interval until ctx is done.
func (w *Watchdog) Run(ctx context.Context) error {
	t := time.NewTicker(w.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		w.Check(ctx)
	}
}

// Verdict is the judgement of one running instance in one check.
type Verdict struct {
	Name string
	// Judgement is one of the Judge... values.
	Judgement string
	// Reason says what it rests on, in words for the log and the tests.
	Reason string
	// Err is a failed restart or bookkeeping step of a frozen server.
	Err error
}

// The judgements.
const (
	JudgeOff         = "off"          // the instance's watchdog is off
	JudgeStarting    = "starting"     // in its first StartGrace
	JudgeAnswering   = "answering"    // a probe answered within the grace period
	JudgeUnpolled    = "unpolled"     // the poller has no state of it yet
	JudgeConsole     = "console"      // silent probes, but the console advanced
	JudgeMapLoad     = "map-load"     // silent, but a map change is loading
	JudgeRestarted   = "restarted"    // frozen: restarted
	JudgeUnhealthy   = "unhealthy"    // frozen, restarted too often: marked
	JudgeStillFrozen = "still-frozen" // frozen, already marked unhealthy
)

// Check judges every running instance once and acts on the frozen ones.
// It returns the verdicts (tests and the log read them).
func (w *Watchdog) Check(ctx context.Context) []Verdict {
	list, err := w.deps.Instances.List(ctx)
	if err != nil {
		if ctx.Err() == nil {
			w.log.Warn("watchdog: list instances", "err", err)
		}
		return nil
	}
	var out []Verdict
	seen := map[string]bool{}
	for _, in := range list {
		// A server that answered the last poll needs no more: asking
		// the supervisor costs a D-Bus call per instance.
		if in.Watchdog && in.UnhealthyAt.IsZero() && w.answered(in.Name) {
			out = append(out, Verdict{Name: in.Name, Judgement: JudgeAnswering, Reason: "answered the last poll"})
			continue
		}
		st, err := w.deps.States.Status(ctx, in.Name)
		if err != nil || st.State != instance.Running {
			continue
		}
		seen[in.Name] = true
		v := w.judge(ctx, in, st)
		if v.Judgement == JudgeRestarted || v.Judgement == JudgeUnhealthy {
			w.log.Warn("watchdog: server frozen", "instance", in.Name, "verdict", v.Judgement, "reason", v.Reason, "err", v.Err)
		}
		out = append(out, v)
	}
	exists := make(map[string]bool, len(list))
	for _, in := range list {
		exists[in.Name] = true
	}
	w.mu.Lock()
	for name := range w.runs {
		if !seen[name] {
			delete(w.runs, name)
		}
	}
	for name := range w.consoles {
		if !exists[name] {
			delete(w.consoles, name)
		}
	}
	w.mu.Unlock()
	return out
}

// lastLine is when name's console last advanced, as far as known.
func (w *Watchdog) lastLine(name string) time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	if c := w.consoles[name]; c != nil {
		return c.lastAt
	}
	return time.Time{}
}

// answered reports whether the poller's last poll of name, recent enough,
// was answered.
func (w *Watchdog) answered(name string) bool {
	snap, ok := w.deps.Polls.Snapshot(name)
	return ok && !snap.NotAnswering && w.now().Sub(snap.PolledAt) <= w.cfg.Grace
}

// judge decides about one running instance and acts when it is frozen.
func (w *Watchdog) judge(ctx context.Context, in instance.Instance, st instance.Status) Verdict {
	v := Verdict{Name: in.Name}
	now := w.now()
	w.mu.Lock()
	r := w.runs[in.Name]
	if r == nil || (!st.Since.IsZero() && !r.since.Equal(st.Since)) {
		// A new run (or the first the watchdog sees): when its start is
		// unknown, it counts from now.
		since := st.Since
		if since.IsZero() {
			since = now
		}
		r = &run{since: since}
		w.runs[in.Name] = r
	}
	start := r.since
	con := console{}
	if c := w.consoles[in.Name]; c != nil {
		con = *c
	}
	w.mu.Unlock()

	if !in.Watchdog {
		v.Judgement, v.Reason = JudgeOff, "the instance's watchdog is off"
		return v
	}
	if age := now.Sub(start); age < w.cfg.StartGrace {
		v.Judgement, v.Reason = JudgeStarting, fmt.Sprintf("started %s ago", age.Round(time.Second))
		return v
	}
	snap, ok := w.deps.Polls.Snapshot(in.Name)
	if !ok || snap.PolledAt.Before(start) {
		v.Judgement, v.Reason = JudgeUnpolled, "not polled since it started"
		return v
	}
	if age := now.Sub(snap.PolledAt); age > w.cfg.Grace {
		// The poller itself is behind (a starved panel): its failures
		// say nothing about the server.
		v.Judgement, v.Reason = JudgeUnpolled, "last polled "+age.Round(time.Second).String()+" ago"
		return v
	}
	lastAnswer := latest(snap.UpdatedAt, start)
	if !snap.NotAnswering || now.Sub(lastAnswer) < w.cfg.Grace {
		v.Judgement, v.Reason = JudgeAnswering, "answered "+ago(now, snap.UpdatedAt)
		if in.UnhealthyIn(st) && !snap.NotAnswering {
			w.recovered(ctx, in.Name)
		}
		return v
	}
	lastLine := latest(con.lastAt, start)
	if now.Sub(lastLine) < w.cfg.Grace {
		v.Judgement, v.Reason = JudgeConsole, "no probe answered for "+now.Sub(lastAnswer).Round(time.Second).String()+" but the console printed "+ago(now, con.lastAt)
		return v
	}
	// A load that began before the last answer has ended (give or take
	// a poll that was answered as the load began).
	if !con.loadingAt.IsZero() && con.loadingAt.After(snap.UpdatedAt.Add(-loadSlack)) && now.Sub(con.loadingAt) < w.cfg.MapLoadLimit {
		v.Judgement, v.Reason = JudgeMapLoad, "a map change started "+ago(now, con.loadingAt)+" and has not finished"
		return v
	}
	tail, tailErr := w.deps.Logs.Tail(ctx, in.Name, DiagnosisLines)
	if tailErr == nil && len(tail) > 0 && tail[len(tail)-1] != con.last {
		// The log holds a line the followers did not deliver (a follower
		// that stalled): the console may have advanced.
		if at := w.consoleLine(in.Name, tail[len(tail)-1]); now.Sub(latest(at, start)) < w.cfg.Grace {
			v.Judgement, v.Reason = JudgeConsole, "the console log holds a line its follower had not read"
			return v
		}
		lastLine = latest(w.lastLine(in.Name), start)
	}
	d := diagnosis{
		quiet:      now.Sub(lastAnswer),
		silent:     now.Sub(lastLine),
		snap:       snap,
		console:    tail,
		consoleErr: tailErr,
	}
	return w.frozen(ctx, in, st, r, d)
}

// diagnosis is what the watchdog knew when it found a server frozen.
type diagnosis struct {
	quiet, silent time.Duration // since the last answer, the last console line
	snap          live.Snapshot
	console       []string
	consoleErr    error
}

func (d diagnosis) reason() string {
	return fmt.Sprintf("answered neither RCON status nor A2S for %s and printed nothing for %s",
		d.quiet.Round(time.Second), d.silent.Round(time.Second))
}

// text is the diagnosis as the feed event shows it.
func (d diagnosis) text(outcome string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "frozen: %s; %s\n", d.reason(), outcome)
	if d.snap.UpdatedAt.IsZero() {
		b.WriteString("last good poll: none since the panel started\n")
	} else {
		fmt.Fprintf(&b, "last good poll: %s: map %s, %d humans, %d bots, max %d\n",
			d.snap.UpdatedAt.UTC().Format(time.RFC3339), d.snap.Map, d.snap.Humans, d.snap.Bots, d.snap.MaxPlayers)
	}
	fmt.Fprintf(&b, "probes at %s (%d failed in a row): rcon: %s; a2s: %s\n",
		d.snap.PolledAt.UTC().Format(time.RFC3339), d.snap.Failures, orOK(d.snap.RCONErr), orOK(d.snap.A2SErr))
	if d.consoleErr != nil {
		fmt.Fprintf(&b, "console: cannot read it: %v\n", d.consoleErr)
	} else {
		fmt.Fprintf(&b, "console (last %d lines):\n", len(d.console))
		for _, l := range d.console {
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// detail is the diagnosis as the notification carries it.
func (d diagnosis) detail() map[string]any {
	det := map[string]any{
		"reason":               d.reason(),
		"silent_seconds":       int(d.silent / time.Second),
		"not_answered_seconds": int(d.quiet / time.Second),
		"probes": map[string]any{
			"at":       d.snap.PolledAt.UTC(),
			"failures": d.snap.Failures,
			"rcon":     orOK(d.snap.RCONErr),
			"a2s":      orOK(d.snap.A2SErr),
		},
	}
	if !d.snap.UpdatedAt.IsZero() {
		det["last_good_poll"] = map[string]any{
			"at": d.snap.UpdatedAt.UTC(), "map": d.snap.Map, "hostname": d.snap.Hostname,
			"humans": d.snap.Humans, "bots": d.snap.Bots, "max_players": d.snap.MaxPlayers,
		}
	}
	if d.consoleErr != nil {
		det["console_error"] = d.consoleErr.Error()
	}
	console := d.console
	if console == nil {
		console = []string{}
	}
	det["console"] = console
	return det
}

// frozen records the diagnosis and restarts the server, or, past
// MaxRestarts in the last RestartWindow, marks it unhealthy once per run.
func (w *Watchdog) frozen(ctx context.Context, in instance.Instance, st instance.Status, r *run, d diagnosis) Verdict {
	v := Verdict{Name: in.Name, Reason: d.reason()}
	now := w.now()
	n, err := w.deps.Store.WatchdogRestartsSince(ctx, in.Name, now.Add(-RestartWindow))
	if err != nil {
		v.Judgement, v.Err = JudgeStillFrozen, fmt.Errorf("watchdog: %w", err)
		return v
	}
	if n >= w.cfg.MaxRestarts {
		w.mu.Lock()
		reported := r.reported || in.UnhealthyIn(st)
		r.reported = true
		w.mu.Unlock()
		if reported {
			v.Judgement = JudgeStillFrozen
			return v
		}
		limit := fmt.Sprintf("the watchdog restarted it %d times in the last hour (at most %d)", n, w.cfg.MaxRestarts)
		why := "frozen, not restarted: " + limit
		v.Judgement = JudgeUnhealthy
		v.Err = w.deps.Store.SetUnhealthy(ctx, in.Name, now, why)
		w.event(ctx, in.Name, d, "not restarted: "+limit+"; left running, marked unhealthy")
		det := d.detail()
		det["restarted"] = false
		det["unhealthy"] = true
		det["restarts_last_hour"] = n
		det["not_restarted"] = why
		w.deps.Notifier.Notify(ctx, EventFrozen, in.Name, det)
		w.deps.Auditor.Record(ctx, Actor, ActionUnhealthy, in.Name, why+"; "+d.reason(), v.Err)
		return v
	}
	v.Judgement = JudgeRestarted
	w.event(ctx, in.Name, d, fmt.Sprintf("restarting it (restart %d of at most %d an hour)", n+1, w.cfg.MaxRestarts))
	if err := w.deps.Store.AddWatchdogRestart(ctx, in.Name, now); err != nil {
		w.log.Warn("watchdog: record restart", "instance", in.Name, "err", err)
	}
	began := time.Now()
	v.Err = w.deps.Instances.Do(ctx, instance.Restart, in.Name)
	w.log.Info("watchdog: restart of a frozen server done", "instance", in.Name, "took", time.Since(began).Round(time.Millisecond), "err", v.Err)
	det := d.detail()
	det["restarted"] = v.Err == nil
	det["restarts_last_hour"] = n + 1
	if v.Err != nil {
		det["error"] = v.Err.Error()
	}
	w.deps.Notifier.Notify(ctx, EventFrozen, in.Name, det)
	w.deps.Auditor.Record(ctx, Actor, ActionRestart, in.Name, "frozen: "+d.reason(), v.Err)
	return v
}

// event stores the diagnosis in the instance's feed.
func (w *Watchdog) event(ctx context.Context, name string, d diagnosis, outcome string) {
	e := store.Event{Instance: name, Kind: EventKind, Text: d.text(outcome), Map: d.snap.Map}
	if _, err := w.deps.Store.AddEvent(ctx, e); err != nil {
		w.log.Warn("watchdog: record diagnosis", "instance", name, "err", err)
	}
}

// recovered clears the unhealthy mark of a server that answers again.
func (w *Watchdog) recovered(ctx context.Context, name string) {
	if err := w.deps.Store.SetUnhealthy(ctx, name, time.Time{}, ""); err != nil {
		w.log.Warn("watchdog: clear unhealthy mark", "instance", name, "err", err)
		return
	}
	w.log.Info("watchdog: server answers again; no longer unhealthy", "instance", name)
}

func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return now.Sub(t).Round(time.Second).String() + " ago"
}

func orOK(s string) string {
	if s == "" {
		return "answered"
	}
	return s
}

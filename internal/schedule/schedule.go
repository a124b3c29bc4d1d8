// Package schedule runs per-instance schedules (restart, stop, start,
// update, or an RCON command at a daily, weekly or cron time) and the
// rolling restart across instances, as durable jobs of internal/jobs.
//
// The panel, the JSON API and the CLI all add, list and remove schedules
// through Service; the panel's Scheduler hands each due slot to the job
// queue once (a unique job per schedule and slot), and the job applies the
// schedule's policy towards players: now, when-empty (wait until no humans
// are connected, up to a maximum wait, then run anyway or skip) or warn
// (announce with say 5 minutes, 1 minute and 10 seconds before).
package schedule

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/rcon"
)

// The fields of a schedule a FieldError (instance.FieldError) can name:
// the keys of the API's JSON and of the panel's form; the CLI's flags
// carry the same names.
const (
	FieldAction    = "action"
	FieldCommand   = "command"
	FieldWhen      = "when"
	FieldPolicy    = "policy"
	FieldMaxWait   = "max_wait"
	FieldOnTimeout = "on_timeout"
)

// Action is what a schedule does.
type Action string

// The actions.
const (
	Restart Action = "restart"
	Stop    Action = "stop"
	Start   Action = "start"
	// Update restarts a running instance that is staged on an older
	// generation of the installation or of a layer, so that it moves to
	// the newest (docs/lifecycle.md rule 12); one already on the newest is
	// left alone.
	Update Action = "update"
	// RCON sends Command to the running server (internal/rcon's policy).
	RCON Action = "rcon"
	// Backup makes a scheduled backup of the instance, running or not,
	// and prunes its older scheduled backups by its retention
	// (internal/backup).
	Backup Action = "backup"
)

// Actions lists the actions in the order they are offered.
func Actions() []Action { return []Action{Restart, Stop, Start, Update, RCON, Backup} }

// Disconnects reports whether the action can disconnect players, so that
// a policy towards them applies (an RCON command can: changelevel, kick).
func (a Action) Disconnects() bool { return a == Restart || a == Stop || a == Update || a == RCON }

// Policy is how a schedule treats the players of a server.
type Policy string

// The policies.
const (
	Now       Policy = "now"
	WhenEmpty Policy = "when-empty"
	Warn      Policy = "warn"
)

// Policies lists the policies in the order they are offered.
func Policies() []Policy { return []Policy{WhenEmpty, Warn, Now} }

// OnTimeout is what a when-empty schedule does once MaxWait has passed with
// players still connected.
type OnTimeout string

// The choices of OnTimeout.
const (
	RunAnyway OnTimeout = "run"
	Skip      OnTimeout = "skip"
)

// DefaultMaxWait is a when-empty schedule's wait when none is given.
const DefaultMaxWait = time.Hour

// MaxMaxWait bounds MaxWait: a wait longer than a day would overlap the
// next day's run of a daily schedule.
const MaxMaxWait = 24 * time.Hour

// WarnLeads are when the warn policy announces the action, before it.
var WarnLeads = []time.Duration{5 * time.Minute, time.Minute, 10 * time.Second}

// Spec is a schedule as asked for, from a form, a JSON body or CLI flags.
type Spec struct {
	Action  string `json:"action"`
	Command string `json:"command,omitempty"`
	When    string `json:"when"`
	Policy  string `json:"policy,omitempty"`
	// MaxWait is a Go duration ("90m", "2h"); empty takes DefaultMaxWait.
	MaxWait   string `json:"max_wait,omitempty"`
	OnTimeout string `json:"on_timeout,omitempty"`
}

// Schedule is a stored schedule of one instance.
type Schedule struct {
	ID        int64
	Instance  string
	Action    Action
	Command   string // the console command of an RCON action
	When      When
	Policy    Policy
	MaxWait   time.Duration // WhenEmpty only
	OnTimeout OnTimeout     // WhenEmpty only
	SecretsOK bool
	CreatedBy int64
	CreatedAt time.Time
	LastSlot  time.Time // the newest slot handed to the job queue
}

// fieldErr is bad input in one field, as the instance service reports it:
// the panel, the API and the CLI show it next to (or prefixed by) field.
func fieldErr(field, format string, a ...any) error {
	return &instance.FieldError{Field: field, Err: fmt.Errorf(format, a...)}
}

// Validated is a Spec checked and normalised, ready to store.
type Validated struct {
	Action    Action
	Command   string
	When      When
	Policy    Policy
	MaxWait   time.Duration
	OnTimeout OnTimeout
}

// Validate checks a Spec field by field. maySeeSecrets says whether the
// asking user may name secret cvars in an RCON command (rcon.Policy).
func Validate(sp Spec, policy rcon.Policy, maySeeSecrets bool) (Validated, error) {
	var v Validated
	names := func(list []string) string { return strings.Join(list, ", ") }
	act := Action(strings.TrimSpace(sp.Action))
	known := false
	var all []string
	for _, a := range Actions() {
		all = append(all, string(a))
		known = known || a == act
	}
	if !known {
		return v, fieldErr(FieldAction, "unknown action %q: want one of %s", sp.Action, names(all))
	}
	v.Action = act
	if act == RCON {
		cmd, err := rcon.Validate(sp.Command)
		if err != nil {
			return v, fieldErr(FieldCommand, "%w", err)
		}
		if err := policy.Check(cmd, maySeeSecrets); err != nil {
			return v, fieldErr(FieldCommand, "%w", err)
		}
		v.Command = cmd
	} else if strings.TrimSpace(sp.Command) != "" {
		return v, fieldErr(FieldCommand, "only the rcon action takes a command")
	}
	w, err := ParseWhen(sp.When)
	if err != nil {
		return v, fieldErr(FieldWhen, "%w", err)
	}
	v.When = w
	pol := Policy(strings.TrimSpace(sp.Policy))
	switch {
	case pol == "" && act != RCON && act.Disconnects():
		pol = WhenEmpty // an RCON command may disconnect nobody: now unless asked
	case pol == "":
		pol = Now
	}
	switch pol {
	case Now, WhenEmpty, Warn:
	default:
		return v, fieldErr(FieldPolicy, "unknown policy %q: want when-empty, warn or now", sp.Policy)
	}
	if !act.Disconnects() && pol != Now {
		return v, fieldErr(FieldPolicy, "%s disconnects nobody: its policy is now", act)
	}
	v.Policy = pol
	maxWait, onTimeout := strings.TrimSpace(sp.MaxWait), strings.TrimSpace(sp.OnTimeout)
	if pol != WhenEmpty {
		if maxWait != "" {
			return v, fieldErr(FieldMaxWait, "only the when-empty policy waits")
		}
		if onTimeout != "" {
			return v, fieldErr(FieldOnTimeout, "only the when-empty policy waits")
		}
		return v, nil
	}
	v.MaxWait = DefaultMaxWait
	if maxWait != "" {
		d, err := time.ParseDuration(maxWait)
		switch {
		case err != nil:
			return v, fieldErr(FieldMaxWait, "%q is not a duration: want one like 30m or 2h", sp.MaxWait)
		case d < 0:
			return v, fieldErr(FieldMaxWait, "%s is negative: give how long to wait, like 30m (0: do not wait)", maxWait)
		case d > MaxMaxWait:
			return v, fieldErr(FieldMaxWait, "%s is more than %v", maxWait, MaxMaxWait)
		case d%time.Second != 0:
			return v, fieldErr(FieldMaxWait, "%s: give whole seconds", maxWait)
		}
		v.MaxWait = d
	}
	switch OnTimeout(onTimeout) {
	case "", RunAnyway:
		v.OnTimeout = RunAnyway
	case Skip:
		v.OnTimeout = Skip
	default:
		return v, fieldErr(FieldOnTimeout, "unknown choice %q: want run (do it anyway) or skip", sp.OnTimeout)
	}
	return v, nil
}

// ErrNotFound is returned (wrapped) for a schedule an instance does not have.
var ErrNotFound = errors.New("schedule not found")

// Notifier tells the operator about something that happened without them
// (webhooks); event "schedule.skipped" is sent when a when-empty action is
// skipped because players stayed past its maximum wait.
type Notifier interface {
	Notify(ctx context.Context, event, instance string, detail map[string]any)
}

// Auditor records a state-changing action in the audit log. Schedules
// record with actor "schedule".
type Auditor interface {
	Record(ctx context.Context, actor, action, target, summary string, result error)
}

// NopNotifier notifies nobody.
type NopNotifier struct{}

// Notify does nothing.
func (NopNotifier) Notify(context.Context, string, string, map[string]any) {}

// NopAuditor records nothing.
type NopAuditor struct{}

// Record does nothing.
func (NopAuditor) Record(context.Context, string, string, string, string, error) {}

// Clock is the time as the scheduler and its jobs see it; tests pass one
// they move by hand.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// RealClock is the system's clock.
type RealClock struct{}

// Now is time.Now.
func (RealClock) Now() time.Time { return time.Now() }

// After is time.After.
func (RealClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

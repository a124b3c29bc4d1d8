// Package notify sends left4me's events to webhooks: an instance that
// crashed, froze, started or stopped, an installation that is available or
// finished, a job that failed, a schedule that was skipped, a player who was
// banned, a canary of a new installation generation that passed or failed.
//
// Notify only enqueues: every webhook that wants the event gets one durable
// job (internal/jobs), retried with backoff and bounded by a per-delivery
// timeout, so that a dead endpoint delays nothing but its own deliveries.
// Each attempt is recorded; a webhook keeps its newest 50.
package notify

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// The events a webhook can ask for.
const (
	EventCrashed          = "instance.crashed"  // the unit failed, or systemd restarted it after a crash
	EventFrozen           = "instance.frozen"   // the watchdog found it frozen
	EventStarted          = "instance.started"  // started (or restarted) by a person, a schedule or the watchdog
	EventStopped          = "instance.stopped"  // stopped by a person or a schedule
	EventInstallAvailable = "install.available" // a newer build of the game exists
	EventInstallFinished  = "install.finished"  // an install published a new generation
	EventJobFailed        = "job.failed"        // a background job failed for good
	EventScheduleSkipped  = "schedule.skipped"  // a schedule gave up waiting
	EventPlayerBanned     = "player.banned"     // a player was banned
	EventCanaryPassed     = "canary.passed"     // a canary instance ran a new installation generation cleanly: it is the default now
	EventCanaryFailed     = "canary.failed"     // a canary instance failed on a new installation generation: promotion blocked
	// EventTest is what `webhook test` and the panel's Test button send.
	EventTest = "webhook.test"
)

// Events lists every event a webhook may subscribe to.
func Events() []string {
	return []string{EventCrashed, EventFrozen, EventStarted, EventStopped, EventInstallAvailable,
		EventInstallFinished, EventJobFailed, EventScheduleSkipped, EventPlayerBanned,
		EventCanaryPassed, EventCanaryFailed}
}

// The formats of a webhook's body.
const (
	FormatJSON    = "json"    // {"event","instance","time","detail"}
	FormatDiscord = "discord" // a Discord webhook's {"content","embeds"}
	FormatSlack   = "slack"   // a Slack incoming webhook's {"text"}
)

// Formats lists the formats.
func Formats() []string { return []string{FormatJSON, FormatDiscord, FormatSlack} }

// ErrInvalid is wrapped by every refusal of bad input (a FieldError).
var ErrInvalid = errors.New("invalid webhook")

// ErrNotFound is wrapped for a webhook id that does not exist.
var ErrNotFound = errors.New("no such webhook")

// FieldError is bad input in one field: url, events or format.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Err: fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)}
}

// ParseEvents reads a list of events separated by commas or spaces. Empty
// (or "all", "*") means every event: nil.
func ParseEvents(list string) ([]string, error) {
	words := strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
	if len(words) == 0 || len(words) == 1 && (words[0] == "all" || words[0] == "*") {
		return nil, nil
	}
	var out []string
	for _, w := range words {
		if !slices.Contains(Events(), w) {
			return nil, fieldErr("events", "unknown event %q; choose from %s", w, strings.Join(Events(), ", "))
		}
		if !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	return out, nil
}

// ParseFormat checks a format name; empty is json.
func ParseFormat(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return FormatJSON, nil
	}
	if !slices.Contains(Formats(), s) {
		return "", fieldErr("format", "unknown format %q; choose json, discord or slack", s)
	}
	return s, nil
}

// wants reports whether a webhook subscribed to events gets event.
func wants(events []string, event string) bool {
	return len(events) == 0 || slices.Contains(events, event)
}

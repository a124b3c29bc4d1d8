// Package jobs runs left4me's durable background jobs (installs, layer
// builds, Workshop downloads and refreshes) on river
// (github.com/riverqueue/river) over the panel's own SQLite database.
//
// Handler authors see no river types: a kind is registered with a plain
// Handler that receives a *Run (arguments, progress, log, the user who
// asked). Progress, the current message and a capped log live in the
// job_progress table beside river's river_job; both are read back as a Job.
//
// Failure handling:
//   - an error returned by a handler is retried with exponential backoff up
//     to the kind's MaxAttempts (Transient marks the intent explicitly);
//     Permanent fails the job at once;
//   - Cancel cancels a queued job, or the context of a running one;
//   - a job whose process died mid-run (panel killed) is found by its stale
//     heartbeat and put back to be retried, or failed when its attempts are
//     used up; river's own rescuer is the backstop after the kind's timeout.
package jobs

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// State is a job's state as left4me shows it.
type State string

// The states of a job.
const (
	// StateQueued: waiting to run for the first time (or scheduled).
	StateQueued State = "queued"
	// StateRunning: a worker is running it.
	StateRunning State = "running"
	// StateRetrying: an attempt failed; it waits for its next attempt.
	StateRetrying State = "retrying"
	// StateSucceeded: the handler returned nil.
	StateSucceeded State = "succeeded"
	// StateFailed: a permanent error, or every attempt failed.
	StateFailed State = "failed"
	// StateCancelled: cancelled by a user before it finished.
	StateCancelled State = "cancelled"
)

// AllStates lists every state in display order.
func AllStates() []State {
	return []State{StateQueued, StateRunning, StateRetrying, StateSucceeded, StateFailed, StateCancelled}
}

// ParseState checks s against the known states.
func ParseState(s string) (State, error) {
	for _, st := range AllStates() {
		if string(st) == s {
			return st, nil
		}
	}
	return "", fmt.Errorf("unknown job state %q (want one of queued, running, retrying, succeeded, failed, cancelled)", s)
}

// Finished reports whether the state is final.
func (s State) Finished() bool {
	return s == StateSucceeded || s == StateFailed || s == StateCancelled
}

// Job is a job as stored: river's row merged with its progress row.
type Job struct {
	ID     int64           `json:"id"`
	Kind   string          `json:"kind"`
	State  State           `json:"state"`
	Args   json.RawMessage `json:"args"`
	UserID int64           `json:"user_id,omitempty"` // 0: the system (periodic jobs, CLI without a user)
	// Progress is the newest attempt's fraction done, 0..1.
	Progress float64 `json:"progress"`
	Message  string  `json:"message,omitempty"`
	// Log is every attempt's log, capped to the newest Config.LogCap
	// characters. Only Get fills it; List leaves it empty.
	Log         string         `json:"log,omitempty"`
	Attempt     int            `json:"attempt"`
	MaxAttempts int            `json:"max_attempts"`
	Errors      []AttemptError `json:"errors,omitempty"`
	// CancelRequested: Cancel was called while it ran; it stops when its
	// handler returns.
	CancelRequested bool      `json:"cancel_requested,omitempty"`
	CreatedAt       time.Time `json:"created_at"`
	// ScheduledAt is when it becomes (or became) eligible to run; for a
	// retrying job, when its next attempt is due.
	ScheduledAt time.Time `json:"scheduled_at"`
	// StartedAt is when its newest attempt started (zero: never ran).
	StartedAt time.Time `json:"started_at,omitzero"`
	// FinishedAt is when it reached a final state (zero: not yet).
	FinishedAt time.Time `json:"finished_at,omitzero"`
}

// AttemptError is the error of one failed attempt.
type AttemptError struct {
	Attempt int       `json:"attempt"`
	At      time.Time `json:"at"`
	Error   string    `json:"error"`
}

// Filter selects jobs for List. Zero fields select everything.
type Filter struct {
	State State  // one state, or "" for all
	Kind  string // one kind, or "" for all
	// UserID selects the jobs one user asked for (0: everyone's).
	UserID int64
	// Limit caps the result (newest first); 0 means 100.
	Limit int
}

// Event tells subscribers that a job changed: a running job's progress or
// message, or a state change seen by this process's worker. It is a hint:
// call Get for the full record.
type Event struct {
	JobID    int64   `json:"job_id"`
	Kind     string  `json:"kind"`
	State    State   `json:"state"`
	Progress float64 `json:"progress"`
	Message  string  `json:"message,omitempty"`
}

// ErrNotFound is returned (wrapped) for an unknown job id.
var ErrNotFound = errors.New("job not found")

// ErrFinished is returned (wrapped) by Cancel for a job already finished.
var ErrFinished = errors.New("job already finished")

// permanentError marks an error that must not be retried.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as final: the job fails without another attempt
// (bad arguments, an item that no longer exists). Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err was marked with Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// transientError marks an error worth retrying.
type transientError struct{ err error }

func (e *transientError) Error() string { return e.err.Error() }
func (e *transientError) Unwrap() error { return e.err }

// Transient marks err as temporary (a network error, a busy server): the
// job is retried with backoff while attempts remain. Any error that is not
// Permanent is retried the same way; Transient only says so explicitly.
// Transient(nil) is nil.
func Transient(err error) error {
	if err == nil {
		return nil
	}
	return &transientError{err: err}
}

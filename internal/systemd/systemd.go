// Package systemd runs instances as the template unit
// left4me-server@NAME.service through systemd's D-Bus API, and reads their
// console logs from the journal.
//
// The web process runs as the unprivileged service user; a polkit rule lets
// it start, stop and restart left4me-server@* units and nothing else
// (docs/architecture.md §4). No sudo, no transient units.
package systemd

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/layout"
)

// UnitPrefix and UnitSuffix frame an instance name in its unit name.
const (
	UnitPrefix = "left4me-server@"
	UnitSuffix = ".service"
)

// UnitName returns the unit that runs instance name.
func UnitName(name string) string { return UnitPrefix + name + UnitSuffix }

// Supervisor starts, stops and inspects instance units over the system bus.
// It connects on first use and reconnects when the connection dropped (for
// example after dbus or systemd was restarted). It is safe for concurrent use.
//
// It speaks to systemd over one private connection of its own (bus.go)
// rather than go-systemd's pair of connections: each job waits for its own
// unit's JobRemoved signal only, so a hundred CLI commands started at once
// do not each receive and decode every other command's signals, and a
// status is a ListUnitsByPatterns answer, not every property of the unit,
// and never loads a stopped instance's unit
// (docs/lifecycle.md, "Many instances on one host").
type Supervisor struct {
	mu   sync.Mutex
	bus  *bus
	dial func(context.Context) (*dbus.Conn, error)
	// cgroupDir is where Usage reads cgroup files ("" is /sys/fs/cgroup).
	cgroupDir string
}

var _ instance.Supervisor = (*Supervisor)(nil)

// NewSupervisor returns a Supervisor for the system bus. It does not connect
// yet, so commands that never touch a unit work without systemd.
func NewSupervisor() *Supervisor {
	return &Supervisor{dial: dialSystemBus}
}

// Close closes the bus connection, if any.
func (s *Supervisor) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.bus != nil {
		s.bus.close()
		s.bus = nil
	}
	return nil
}

// connection returns a live connection, dialling a new one when there is
// none or the old one was closed.
func (s *Supervisor) connection(ctx context.Context) (*bus, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.bus != nil && s.bus.conn.Connected() {
		return s.bus, nil
	}
	if s.bus != nil {
		s.bus.close()
		s.bus = nil
	}
	c, err := s.dial(ctx)
	if err != nil {
		return nil, fmt.Errorf("connect to systemd over the system bus: %w", err)
	}
	s.bus = newBus(c)
	return s.bus, nil
}

// runJob queues a job (the Manager's method, e.g. "StartUnit") for the
// instance's unit and waits for its result.
func (s *Supervisor) runJob(ctx context.Context, verb, name, method string) error {
	if err := layout.ValidateName(name); err != nil {
		return err
	}
	unit := UnitName(name)
	b, err := s.connection(ctx)
	if err != nil {
		return err
	}
	result, err := b.job(ctx, method, unit)
	if err != nil {
		return fmt.Errorf("%s %s: %w", verb, unit, err)
	}
	return jobError(verb, unit, result)
}

// jobError turns a job result into nil ("done") or an error explaining it.
func jobError(verb, unit, result string) error {
	var why string
	switch result {
	case "done":
		return nil
	case "canceled":
		why = "the job was cancelled by a newer one"
	case "timeout":
		why = "the job timed out"
	case "failed":
		why = "the unit failed; see journalctl -u " + unit
	case "dependency":
		why = "a dependency failed"
	case "skipped":
		why = "the unit was skipped (a condition was not met)"
	case "invalid", "unsupported":
		why = "systemd refused the job as " + result
	default:
		why = fmt.Sprintf("job result %q", result)
	}
	return fmt.Errorf("%s %s: %s", verb, unit, why)
}

// Start starts the instance's unit and waits until systemd's job is done
// (for the instance unit: ExecStartPost mounted the overlay and the server was
// spawned).
//
// An operator's start is never refused by the unit's start limit
// (docs/lifecycle.md rule 6), which is there to end a crash loop of
// Restart=: a unit that is failed is reset first, and a start that systemd
// refuses with the result start-limit-hit (a unit it still had loaded,
// stopped and started a few times within the limit's interval) is reset and
// tried once more, as "systemctl reset-failed" resets the counter. A unit
// systemd has unloaded has no counter and is not touched (resetting it would
// load it). polkit may not grant reset-failed; then the start reports the
// real problem.
func (s *Supervisor) Start(ctx context.Context, name string) error {
	if err := layout.ValidateName(name); err != nil {
		return err
	}
	if st, err := s.Status(ctx, name); err == nil && st.State == instance.Failed {
		s.resetFailed(ctx, name)
	}
	err := s.runJob(ctx, "start", name, "StartUnit")
	if err == nil || !s.startLimitHit(ctx, name) {
		return err
	}
	s.resetFailed(ctx, name)
	return s.runJob(ctx, "start", name, "StartUnit")
}

// resetFailed asks systemd to reset the unit's failed state and start-limit
// counter, ignoring a refusal (the next job says what is wrong).
func (s *Supervisor) resetFailed(ctx context.Context, name string) {
	if b, err := s.connection(ctx); err == nil {
		_ = b.manager(ctx, "ResetFailedUnit", UnitName(name)).Store()
	}
}

// startLimitHit reports whether the unit is loaded and failed because its
// start limit was hit.
func (s *Supervisor) startLimitHit(ctx context.Context, name string) bool {
	st, err := s.Status(ctx, name)
	return err == nil && st.State == instance.Failed && st.Result == "start-limit-hit"
}

// Stop stops the instance's unit and waits until it is inactive, including
// ExecStopPost (which unmounts the overlay). Stopping an inactive unit
// succeeds.
func (s *Supervisor) Stop(ctx context.Context, name string) error {
	return s.runJob(ctx, "stop", name, "StopUnit")
}

// Restart restarts the instance's unit (starting it if it is stopped).
func (s *Supervisor) Restart(ctx context.Context, name string) error {
	return s.runJob(ctx, "restart", name, "RestartUnit")
}

// Status reports the unit's state and when it last changed.
func (s *Supervisor) Status(ctx context.Context, name string) (instance.Status, error) {
	if err := layout.ValidateName(name); err != nil {
		return instance.Status{}, err
	}
	unit := UnitName(name)
	b, err := s.connection(ctx)
	if err != nil {
		return instance.Status{}, err
	}
	u, loaded, err := b.unit(ctx, unit)
	if err != nil {
		return instance.Status{}, fmt.Errorf("status of %s: %w", unit, err)
	}
	state, err := MapState(u.active, u.sub)
	if err != nil {
		return instance.Status{}, fmt.Errorf("status of %s: %w", unit, err)
	}
	st := instance.Status{State: state}
	if !loaded || u.path == "" || u.load == "not-found" {
		return st, nil
	}
	if v, err := b.property(ctx, u.path, "org.freedesktop.systemd1.Unit", "StateChangeTimestamp"); err == nil {
		usec, _ := v.(uint64)
		st.Since = sinceUsec(usec)
	}
	// Result is a property of the Service interface, not of Unit: one more
	// call, needed only to explain a failure.
	if state == instance.Failed {
		if v, err := b.property(ctx, u.path, "org.freedesktop.systemd1.Service", "Result"); err == nil {
			st.Result, _ = v.(string)
		}
	}
	return st, nil
}

// errUnknownState is wrapped for ActiveState values this package does not know.
var errUnknownState = errors.New("unknown unit state")

// MapState maps a unit's ActiveState and SubState to an instance state.
// A unit waiting to be restarted after a crash (SubState auto-restart, under
// ActiveState activating or, before systemd 254, also deactivating/failed)
// is Starting: systemd will try again until the start limit
// (docs/lifecycle.md rule 6) turns it failed.
func MapState(active, sub string) (instance.State, error) {
	if sub == "auto-restart" || sub == "auto-restart-queued" {
		return instance.Starting, nil
	}
	switch active {
	case "active", "reloading", "refreshing":
		return instance.Running, nil
	case "activating":
		return instance.Starting, nil
	case "deactivating", "maintenance":
		return instance.Stopping, nil
	case "failed":
		return instance.Failed, nil
	case "inactive", "":
		return instance.Stopped, nil
	}
	return "", fmt.Errorf("%w: ActiveState %q SubState %q", errUnknownState, active, sub)
}

// sinceUsec converts a systemd realtime timestamp (µs since the epoch; 0 =
// never) to a time.
func sinceUsec(usec uint64) time.Time {
	if usec == 0 {
		return time.Time{}
	}
	return time.UnixMicro(int64(usec))
}

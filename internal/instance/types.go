// Package instance is the lifecycle service: create, start, stop, restart,
// reset and delete game-server instances over a Supervisor.
//
// NOTE: docs/lifecycle.md rule 1 — this package never mounts anything. Start stages
// files (instance.env, server.cfg into upper) and asks the Supervisor to start
// the unit, whose ExecStartPost mounts the overlay. Stop, reset and delete ask
// the Supervisor to stop the unit and then act on files only.
package instance

import (
	"context"
	"errors"
	"time"

	"github.com/left4me/left4me/internal/layout"
)

// State is the observed state of an instance.
type State string

// The states an instance can be in.
const (
	Stopped  State = "stopped"
	Starting State = "starting"
	Running  State = "running"
	Stopping State = "stopping"
	Failed   State = "failed"
)

// Status is a state and when it was entered (zero when unknown).
type Status struct {
	State State
	Since time.Time
	// Result is the supervisor's word for how the last run ended ("success",
	// "timeout", "exit-code", … for systemd's Result property); empty when
	// the supervisor has none.
	Result string
}

// Supervisor runs instances. The systemd implementation drives
// left4me-server@NAME.service over D-Bus; the development one runs child
// processes. Start and Stop wait until the job has finished.
type Supervisor interface {
	Start(ctx context.Context, name string) error
	Stop(ctx context.Context, name string) error
	Restart(ctx context.Context, name string) error
	Status(ctx context.Context, name string) (Status, error)
}

// Instance is an instance's record.
type Instance struct {
	Name         string
	OwnerID      int64
	Port         int
	Layers       []string // content layer ids, uppermost first; the base installation is implied
	Args         []string // extra srcds arguments, e.g. "+map", "c1m1_hotel"
	RCONPassword string
	WantRunning  bool // was started and not stopped: started again at boot when Autostart (docs/lifecycle.md rule 9)
	// Autostart is the instance's setting: whether the boot autostart
	// brings it back when it was running (autostart.go).
	Autostart bool
	// Watchdog: the panel's watchdog restarts the server when it is
	// frozen (internal/watchdog); on by default.
	Watchdog bool
	// UnhealthyAt is when the watchdog found the server frozen and left it
	// running, having restarted it too often (zero: never); it applies to
	// the run it was set in (UnhealthyIn). UnhealthyReason says why.
	UnhealthyAt     time.Time
	UnhealthyReason string
	CreatedAt       time.Time
	UpdatedAt       time.Time
	// LaunchPort is the game port of the last start (its staged
	// instance.env), 0 before the first. A port change applies at the next
	// start, so while the server runs it runs here, not on Port.
	LaunchPort int
	// Pins are the generations the instance is pinned to (pins.go): the
	// installation's (layout.PinInstallation) and layers', by id.
	Pins layout.Pins
}

// ServerPort is the game port to reach the instance's running server on:
// the port it was launched with, or Port when it has not been launched.
func (in Instance) ServerPort() int {
	if in.LaunchPort != 0 {
		return in.LaunchPort
	}
	return in.Port
}

// PendingPort is the port the next start applies, or 0 when the server,
// which is running (or starting) if running is true, already runs on it.
func (in Instance) PendingPort(running bool) int {
	if running && in.LaunchPort != 0 && in.LaunchPort != in.Port {
		return in.Port
	}
	return 0
}

// Spec is what a caller asks for when creating an instance.
type Spec struct {
	Name      string
	OwnerID   int64
	Port      int // 0 picks a free port from the configured range
	Layers    []string
	Args      []string
	ServerCfg string
	Autostart *bool // nil: on
	// Template, when set, names a saved template (template.go): its
	// layers, arguments and server.cfg fill the fields left empty, and
	// its files, if it has them, become the new instance's upper.
	Template string

	// seed is a directory (under runtime/) that becomes the new
	// instance's upper, moved in place (clone.go).
	seed string
	// pins are the new instance's pinned generations (a clone keeps its
	// source's, clone.go).
	pins layout.Pins
	// RCONPassword, when set, is the instance's RCON password instead of
	// a new random one (a restored backup that holds one).
	RCONPassword string
}

// UseUpper makes dir, a directory on the state root's file system (under
// runtime/), the new instance's upper: Create moves it into place in the
// transaction that writes the record and moves it back when the create
// fails, so a caller may try again with it. A clone and a restore fill
// their instance this way.
func (sp *Spec) UseUpper(dir string) { sp.seed = dir }

// Errors returned (wrapped) by the service. Callers map them to 4xx answers.
// Bad input in one field is a *FieldError (validate.go), which is
// ErrInvalid and, where it says so, ErrExists, ErrPortUsed or ErrNoLayer.
var (
	ErrNotFound = errors.New("instance not found")
	ErrExists   = errors.New("instance already exists")
	ErrPortUsed = errors.New("port already in use")
	ErrNoLayer  = errors.New("layer does not exist")
	ErrInvalid  = errors.New("invalid instance specification")
	ErrBusy     = errors.New("instance is busy with another operation")
	// ErrNoInstallation: no base game generation exists under installations/.
	ErrNoInstallation = errors.New("no base installation")
	// ErrMounted: the instance's overlay is still mounted where the
	// operation needs it unmounted (reset, delete).
	ErrMounted = errors.New("overlay is still mounted")
	// ErrStopFailed: the supervisor stopped the instance, but not cleanly:
	// the unit ended failed during the stop (its ExecStopPost unmount failed
	// or timed out) or the overlay is still mounted.
	ErrStopFailed = errors.New("stop failed")
)

// LogReader reads an instance's console log. The systemd package reads the
// journal; the process package keeps the child's output in memory.
type LogReader interface {
	// Tail returns up to the last n lines, oldest first.
	Tail(ctx context.Context, name string, n int) ([]string, error)
	// Follow calls fn for each new line until ctx is done, then returns
	// ctx's error or the error that ended reading.
	Follow(ctx context.Context, name string, fn func(line string)) error
}

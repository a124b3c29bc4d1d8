package systemd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"
)

const (
	busName       = "org.freedesktop.systemd1"
	managerPath   = dbus.ObjectPath("/org/freedesktop/systemd1")
	managerIface  = "org.freedesktop.systemd1.Manager"
	jobRemovedSig = managerIface + ".JobRemoved"
)

// dialSystemBus opens a private connection to the system bus and
// authenticates with EXTERNAL by uid (no user-name lookup).
func dialSystemBus(ctx context.Context) (*dbus.Conn, error) {
	c, err := dbus.SystemBusPrivate(dbus.WithContext(ctx))
	if err != nil {
		return nil, err
	}
	return authHello(c)
}

// authHello authenticates c and says Hello; it closes c on failure.
func authHello(c *dbus.Conn) (*dbus.Conn, error) {
	if err := c.Auth([]dbus.Auth{dbus.AuthExternal(strconv.Itoa(os.Getuid()))}); err != nil {
		c.Close()
		return nil, fmt.Errorf("authenticate to the bus: %w", err)
	}
	if err := c.Hello(); err != nil {
		c.Close()
		return nil, fmt.Errorf("hello to the bus: %w", err)
	}
	return c, nil
}

// bus is one connection to systemd's Manager that can wait for the results
// of jobs it queued.
//
// systemd announces a finished job with the Manager's JobRemoved signal
// (id, job path, unit, result). Each job adds a match for that signal
// narrowed to its own unit (arg2), so the bus daemon delivers this process
// only the signals of the units it is working on; the dispatcher hands each
// to the job waiting for that job path.
type bus struct {
	conn    *dbus.Conn
	signals chan *dbus.Signal

	// mu guards waiting and early. It is never held across a call to
	// systemd: a call that polkit holds up (seconds, docs/platforms.md)
	// must not hold up the other jobs of this process.
	mu      sync.Mutex
	waiting map[dbus.ObjectPath]chan string
	// early keeps the results of jobs removed before anyone waited for
	// them: systemd may announce a job's end before the answer that names
	// the job reaches the caller. Entries nobody claims (another process's
	// job on the same unit) go after earlyKeep.
	early map[dbus.ObjectPath]earlyResult
	done  chan struct{}
}

type earlyResult struct {
	result string
	at     time.Time
}

// earlyKeep is how long an unclaimed job result is kept; the answer to the
// call that queued the job comes long before.
const earlyKeep = time.Minute

func newBus(c *dbus.Conn) *bus {
	b := &bus{
		conn:    c,
		signals: make(chan *dbus.Signal, 64),
		waiting: map[dbus.ObjectPath]chan string{},
		early:   map[dbus.ObjectPath]earlyResult{},
		done:    make(chan struct{}),
	}
	c.Signal(b.signals)
	go b.dispatch()
	return b
}

func (b *bus) close() {
	b.conn.Close()
}

// dispatch delivers JobRemoved signals to their waiting jobs until the
// connection closes (which closes the signal channel).
func (b *bus) dispatch() {
	defer close(b.done)
	for sig := range b.signals {
		if sig.Name != jobRemovedSig || sig.Path != managerPath || len(sig.Body) < 4 {
			continue
		}
		path, ok1 := sig.Body[1].(dbus.ObjectPath)
		result, ok2 := sig.Body[3].(string)
		if !ok1 || !ok2 {
			continue
		}
		b.mu.Lock()
		if ch, ok := b.waiting[path]; ok {
			ch <- result // buffered, one per job
			delete(b.waiting, path)
		} else {
			now := time.Now()
			for p, e := range b.early {
				if now.Sub(e.at) > earlyKeep {
					delete(b.early, p)
				}
			}
			b.early[path] = earlyResult{result, now}
		}
		b.mu.Unlock()
	}
}

// manager calls a method of systemd's Manager.
func (b *bus) manager(ctx context.Context, method string, args ...any) *dbus.Call {
	return b.conn.Object(busName, managerPath).CallWithContext(ctx, managerIface+"."+method, 0, args...)
}

// errDisconnected says the bus connection closed while a job was waited for.
var errDisconnected = errors.New("the bus connection closed while waiting for the job")

// job queues method (StartUnit, StopUnit, RestartUnit) for unit in mode
// "replace" and waits for the job's result ("done", "failed", ...).
func (b *bus) job(ctx context.Context, method, unit string) (string, error) {
	match := []dbus.MatchOption{
		dbus.WithMatchSender(busName),
		dbus.WithMatchObjectPath(managerPath),
		dbus.WithMatchInterface(managerIface),
		dbus.WithMatchMember("JobRemoved"),
		dbus.WithMatchArg(2, unit),
	}
	if err := b.conn.AddMatchSignalContext(ctx, match...); err != nil {
		return "", fmt.Errorf("listen for the job's end: %w", err)
	}
	// A fresh context: the match must go even when ctx is done.
	defer b.conn.RemoveMatchSignalContext(context.WithoutCancel(ctx), match...)

	var path dbus.ObjectPath
	if err := b.manager(ctx, method, unit, "replace").Store(&path); err != nil {
		return "", err
	}
	ch := make(chan string, 1)
	b.mu.Lock()
	if e, ok := b.early[path]; ok {
		delete(b.early, path)
		b.mu.Unlock()
		return e.result, nil
	}
	b.waiting[path] = ch
	b.mu.Unlock()
	select {
	case result := <-ch:
		return result, nil
	case <-ctx.Done():
		b.forget(path)
		return "", fmt.Errorf("waiting for the job: %w", ctx.Err())
	case <-b.done:
		b.forget(path)
		return "", errDisconnected
	}
}

func (b *bus) forget(path dbus.ObjectPath) {
	b.mu.Lock()
	delete(b.waiting, path)
	b.mu.Unlock()
}

// unitInfo is the part of a unit's status Supervisor.Status needs.
type unitInfo struct {
	load, active, sub string
	path              dbus.ObjectPath
}

// listedUnit is one row of the Manager's ListUnitsByPatterns (and
// ListUnits...), a(ssssssouso).
type listedUnit struct {
	Name, Description, Load, Active, Sub, Following string
	Path                                            dbus.ObjectPath
	JobID                                           uint32
	JobType                                         string
	JobPath                                         dbus.ObjectPath
}

// unit returns the load, active and sub state of unit, and loaded=false
// when systemd has not loaded it: a stopped instance whose unit was
// garbage-collected, which is inactive and has no failure to report.
//
// It asks ListUnitsByPatterns with the unit's name as the pattern, which
// looks at loaded units only. ListUnitsByNames (or a property of the unit's
// object) would load the unit, making systemd read and parse the unit file
// and drop it again at its next garbage collection: the panel asks for
// every instance's state at each live poll, and with a hundred mostly
// stopped instances that parsing was most of PID 1's work while a hundred
// instances started (docs/lifecycle.md, "Many instances on one host").
// Instance names hold no glob characters (layout.ValidateName), so the
// pattern matches this one unit.
func (b *bus) unit(ctx context.Context, unit string) (u unitInfo, loaded bool, err error) {
	var rows []listedUnit
	if err := b.manager(ctx, "ListUnitsByPatterns", []string{}, []string{unit}).Store(&rows); err != nil {
		return unitInfo{}, false, err
	}
	for _, r := range rows {
		if r.Name == unit {
			return unitInfo{load: r.Load, active: r.Active, sub: r.Sub, path: r.Path}, true, nil
		}
	}
	return unitInfo{load: "not-loaded", active: "inactive", sub: "dead"}, false, nil
}

// property reads one property of the object at path.
func (b *bus) property(ctx context.Context, path dbus.ObjectPath, iface, name string) (any, error) {
	var v dbus.Variant
	err := b.conn.Object(busName, path).CallWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0, iface, name).Store(&v)
	if err != nil {
		return nil, err
	}
	return v.Value(), nil
}

package systemd

import (
	"strings"
	"testing"

	"github.com/godbus/dbus/v5"

	"github.com/left4me/left4me/internal/instance/supervisortest"
)

// unitManager is the test bus's systemd Manager with units that follow
// their jobs, as systemd's do: a start makes a unit active (or, for a unit
// whose server crashes, failed once the exec succeeded, as Type=exec
// reports it), a stop inactive.
type unitManager struct {
	*fakeManager
	crashes map[string]bool
}

func (m *unitManager) set(unit string, active, sub string) {
	m.mu.Lock()
	m.state[unit] = [2]string{active, sub}
	m.mu.Unlock()
}

func (m *unitManager) started(unit string) {
	m.mu.Lock()
	crash := m.crashes[unit]
	m.mu.Unlock()
	if crash {
		m.set(unit, "failed", "failed")
	} else {
		m.set(unit, "active", "running")
	}
}

func (m *unitManager) StartUnit(unit, mode string) (dbus.ObjectPath, *dbus.Error) {
	m.started(unit)
	return m.queue("StartUnit", unit, mode)
}

func (m *unitManager) RestartUnit(unit, mode string) (dbus.ObjectPath, *dbus.Error) {
	m.started(unit)
	return m.queue("RestartUnit", unit, mode)
}

func (m *unitManager) StopUnit(unit, mode string) (dbus.ObjectPath, *dbus.Error) {
	m.mu.Lock()
	failed := m.state[unit][0] == "failed"
	m.mu.Unlock()
	if !failed { // a failed unit stays failed until reset-failed or a start
		m.set(unit, "inactive", "dead")
	}
	return m.queue("StopUnit", unit, mode)
}

// TestSupervisorConformance runs the Supervisor conformance suite against
// this supervisor over a real D-Bus, with the test's Manager in systemd's
// place (the real systemd runs it in test/e2e).
func TestSupervisorConformance(t *testing.T) {
	addr := testBus(t)
	fm := startFakeManager(t, addr)
	m := &unitManager{fakeManager: fm, crashes: map[string]bool{}}
	if err := fm.conn.Export(m, managerPath, managerIface); err != nil {
		t.Fatal(err)
	}
	s := &Supervisor{dial: dialTest(addr)}
	t.Cleanup(func() { s.Close() })
	supervisortest.Run(t, supervisortest.Harness{
		Supervisor: s,
		Prepare: func(t *testing.T, name string, crash bool) {
			unit := UnitName(name)
			m.mu.Lock()
			m.crashes[unit] = crash
			m.mu.Unlock()
			path := dbus.ObjectPath("/org/freedesktop/systemd1/unit/" + strings.NewReplacer("@", "_40", ".", "_2e", "-", "_2d").Replace(unit))
			if err := fm.conn.Export(unitProps{}, path, "org.freedesktop.DBus.Properties"); err != nil {
				t.Fatal(err)
			}
		},
	})
}

package systemd

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/left4me/left4me/internal/instance"
)

// usageProps answers the accounting properties of a unit, as systemd does
// on org.freedesktop.systemd1.Service.
type usageProps struct {
	cpu, mem uint64
	cgroup   string
}

func (p usageProps) Get(iface, name string) (dbus.Variant, *dbus.Error) {
	switch iface + "." + name {
	case "org.freedesktop.systemd1.Service.CPUUsageNSec":
		return dbus.MakeVariant(p.cpu), nil
	case "org.freedesktop.systemd1.Service.MemoryCurrent":
		return dbus.MakeVariant(p.mem), nil
	case "org.freedesktop.systemd1.Service.ControlGroup":
		return dbus.MakeVariant(p.cgroup), nil
	}
	return dbus.Variant{}, dbus.MakeFailedError(fmt.Errorf("no property %s.%s", iface, name))
}

// TestUsage: a running unit's CPUUsageNSec and MemoryCurrent come over the
// bus; where systemd does not account them (the largest uint64), the
// unit's cgroup files tell, and without those they are unknown; a unit
// systemd has not loaded is unknown and is not loaded by asking.
func TestUsage(t *testing.T) {
	addr := testBus(t)
	m := startFakeManager(t, addr)
	cg := t.TempDir()
	unitCg := filepath.Join(cg, "system.slice", "system-left4me\\x2dserver.slice", UnitName("blind"))
	if err := os.MkdirAll(unitCg, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(unitCg, "cpu.stat"), []byte("usage_usec 1500000\nuser_usec 1000000\nsystem_usec 500000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(unitCg, "memory.current"), []byte("123456789\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A cgroup without a memory controller lists its processes: this one.
	nomem := filepath.Join(cg, "nomem.service")
	if err := os.MkdirAll(nomem, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(nomem, "cgroup.procs"), []byte(strconv.Itoa(os.Getpid())+"\n999999999\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	m.state[UnitName("nomem")] = [2]string{"active", "running"}
	for unit, p := range map[string]usageProps{
		"left4me_2dserver_40busy_2eservice":  {cpu: 2500 * uint64(time.Millisecond), mem: 300 << 20},
		"left4me_2dserver_40blind_2eservice": {cpu: math.MaxUint64, mem: math.MaxUint64, cgroup: "/system.slice/system-left4me\\x2dserver.slice/" + UnitName("blind")},
		"left4me_2dserver_40dark_2eservice":  {cpu: math.MaxUint64, mem: math.MaxUint64, cgroup: "/system.slice/nowhere.service"},
		"left4me_2dserver_40nomem_2eservice": {cpu: 7, mem: math.MaxUint64, cgroup: "/nomem.service"},
	} {
		if err := m.conn.Export(p, dbus.ObjectPath("/org/freedesktop/systemd1/unit/"+unit), "org.freedesktop.DBus.Properties"); err != nil {
			t.Fatal(err)
		}
	}
	m.state[UnitName("dark")] = [2]string{"active", "running"}
	m.state[UnitName("busy")] = [2]string{"active", "running"}
	m.state[UnitName("blind")] = [2]string{"active", "running"}

	s := &Supervisor{dial: dialTest(addr), cgroupDir: cg}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	u, err := s.Usage(ctx, "busy")
	if err != nil || u.CPU != 2500*time.Millisecond || u.Memory != 300<<20 {
		t.Errorf("usage of busy = %+v, %v; want 2.5s and 300 MiB", u, err)
	}
	u, err = s.Usage(ctx, "blind")
	if err != nil || u.CPU != 1500*time.Millisecond || u.Memory != 123456789 {
		t.Errorf("usage without accounting = %+v, %v; want 1.5s and 123456789 bytes from the cgroup", u, err)
	}
	u, err = s.Usage(ctx, "nomem")
	if err != nil || u.CPU != 7 || u.Memory <= 0 {
		t.Errorf("usage without a memory controller = %+v, %v; want the resident memory of the cgroup's processes", u, err)
	}
	u, err = s.Usage(ctx, "dark")
	if err != nil || u != instance.UnknownUsage {
		t.Errorf("usage without accounting or cgroup files = %+v, %v; want unknown", u, err)
	}
	u, err = s.Usage(ctx, "stopped")
	if err != nil || u != instance.UnknownUsage {
		t.Errorf("usage of an unloaded unit = %+v, %v; want unknown", u, err)
	}
	if _, err := s.Usage(ctx, "../x"); err == nil {
		t.Error("usage of a bad name: no error")
	}
	for _, c := range m.calls {
		if c == "ListUnitsByNames (loads units)" {
			t.Errorf("usage loaded a unit: %v", m.calls)
		}
	}
}

package systemd

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/left4me/left4me/internal/instance"
)

// testBus starts a real dbus-daemon on a socket in a temporary directory
// and returns its address.
func testBus(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("dbus-daemon"); err != nil {
		t.Skip("dbus-daemon not installed (Debian package dbus-daemon)")
	}
	addr := "unix:path=" + filepath.Join(t.TempDir(), "bus")
	cmd := exec.Command("dbus-daemon", "--session", "--nofork", "--nopidfile", "--address="+addr, "--print-address=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("dbus-daemon printed no address: %v", err)
	}
	return strings.TrimSpace(line)
}

func dialTest(addr string) func(context.Context) (*dbus.Conn, error) {
	return func(ctx context.Context) (*dbus.Conn, error) {
		c, err := dbus.Dial(addr, dbus.WithContext(ctx))
		if err != nil {
			return nil, err
		}
		return authHello(c)
	}
}

// fakeManager plays systemd's Manager on the test bus: every job ends at
// once with the result set for its unit, announced by JobRemoved before or
// after the call's answer, and after it another unit's JobRemoved that the
// caller must never be sent.
type fakeManager struct {
	conn *dbus.Conn

	mu          sync.Mutex
	next        uint32
	results     map[string]string // unit → job result ("" = "done")
	state       map[string][2]string
	signalFirst bool
	calls       []string
	// gate, when set, holds the answer to a job for unit "slow" until it
	// is closed (polkit taking its time).
	gate chan struct{}
	// limited is a unit at its start limit: its starts fail, leaving it
	// failed with the result start-limit-hit, until ResetFailedUnit.
	limited string
}

func (m *fakeManager) queue(method, unit, mode string) (dbus.ObjectPath, *dbus.Error) {
	if unit == UnitName("slow") && m.gate != nil {
		m.mu.Lock()
		m.calls = append(m.calls, "held "+method+" "+unit)
		m.mu.Unlock()
		<-m.gate
	}
	m.mu.Lock()
	m.next++
	id := m.next
	result := m.results[unit]
	if result == "" {
		result = "done"
	}
	first := m.signalFirst
	m.calls = append(m.calls, method+" "+unit+" "+mode)
	m.mu.Unlock()
	path := dbus.ObjectPath(fmt.Sprintf("/org/freedesktop/systemd1/job/%d", id))
	emit := func() {
		m.conn.Emit(managerPath, jobRemovedSig, id, path, unit, result)
		// Another unit's job, numbered like ours would be next.
		m.conn.Emit(managerPath, jobRemovedSig, id+1000, dbus.ObjectPath(fmt.Sprintf("/org/freedesktop/systemd1/job/%d", id+1000)), "other.service", "done")
	}
	if first {
		emit()
	} else {
		go func() { time.Sleep(5 * time.Millisecond); emit() }()
	}
	return path, nil
}

func (m *fakeManager) StartUnit(unit, mode string) (dbus.ObjectPath, *dbus.Error) {
	m.mu.Lock()
	if unit == m.limited && unit != "" {
		m.state[unit] = [2]string{"failed", "failed"}
	}
	m.mu.Unlock()
	return m.queue("StartUnit", unit, mode)
}
func (m *fakeManager) StopUnit(unit, mode string) (dbus.ObjectPath, *dbus.Error) {
	return m.queue("StopUnit", unit, mode)
}
func (m *fakeManager) RestartUnit(unit, mode string) (dbus.ObjectPath, *dbus.Error) {
	return m.queue("RestartUnit", unit, mode)
}
func (m *fakeManager) ResetFailedUnit(unit string) *dbus.Error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = append(m.calls, "ResetFailedUnit "+unit)
	if unit == m.limited && unit != "" {
		delete(m.results, unit)
		m.state[unit] = [2]string{"inactive", "dead"}
		m.limited = ""
	}
	return nil
}

// ListUnitsByNames loads every unit named (real systemd reads and parses
// each unit file): the supervisor must never call it, and the fake records
// the call so a test can say so.
func (m *fakeManager) ListUnitsByNames(names []string) ([]listedUnit, *dbus.Error) {
	m.mu.Lock()
	m.calls = append(m.calls, "ListUnitsByNames (loads units)")
	m.mu.Unlock()
	return m.rows(names, true), nil
}

// ListUnitsByPatterns lists the loaded units (those with a state here)
// whose names match a pattern, loading nothing.
func (m *fakeManager) ListUnitsByPatterns(states, patterns []string) ([]listedUnit, *dbus.Error) {
	if len(states) != 0 {
		return nil, dbus.MakeFailedError(fmt.Errorf("the fake lists units of every state only"))
	}
	m.mu.Lock()
	var names []string
	for n := range m.state {
		for _, p := range patterns {
			if ok, _ := path.Match(p, n); ok {
				names = append(names, n)
				break
			}
		}
	}
	m.mu.Unlock()
	return m.rows(names, false), nil
}

func (m *fakeManager) rows(names []string, load bool) []listedUnit {
	m.mu.Lock()
	defer m.mu.Unlock()
	var rows []listedUnit
	for _, n := range names {
		st, ok := m.state[n]
		loadState := "loaded"
		if !ok {
			st, loadState = [2]string{"inactive", "dead"}, "not-found"
		}
		rows = append(rows, listedUnit{Name: n, Load: loadState, Active: st[0], Sub: st[1], JobPath: "/",
			Path: dbus.ObjectPath("/org/freedesktop/systemd1/unit/" + strings.NewReplacer("@", "_40", ".", "_2e", "-", "_2d").Replace(n))})
	}
	return rows
}

// unitProps answers Properties.Get on every unit object; result is the
// Service's Result ("exit-code" when empty).
type unitProps struct{ result string }

func (p unitProps) Get(iface, name string) (dbus.Variant, *dbus.Error) {
	switch iface + "." + name {
	case "org.freedesktop.systemd1.Unit.StateChangeTimestamp":
		return dbus.MakeVariant(uint64(1700000000000000)), nil
	case "org.freedesktop.systemd1.Service.Result":
		if p.result != "" {
			return dbus.MakeVariant(p.result), nil
		}
		return dbus.MakeVariant("exit-code"), nil
	}
	return dbus.Variant{}, dbus.MakeFailedError(fmt.Errorf("no property %s.%s", iface, name))
}

func startFakeManager(t *testing.T, addr string) *fakeManager {
	t.Helper()
	c, err := dialTest(addr)(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	m := &fakeManager{conn: c, results: map[string]string{}, state: map[string][2]string{}}
	if err := c.Export(m, managerPath, managerIface); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"left4me_2dserver_40alpha_2eservice", "left4me_2dserver_40broken_2eservice"} {
		if err := c.Export(unitProps{}, dbus.ObjectPath("/org/freedesktop/systemd1/unit/"+u), "org.freedesktop.DBus.Properties"); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Export(unitProps{result: "start-limit-hit"}, dbus.ObjectPath("/org/freedesktop/systemd1/unit/left4me_2dserver_40limited_2eservice"), "org.freedesktop.DBus.Properties"); err != nil {
		t.Fatal(err)
	}
	if reply, err := c.RequestName(busName, dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("own %s: %v %v", busName, reply, err)
	}
	return m
}

// TestSupervisorOverRealBus: jobs end with systemd's result whether
// JobRemoved comes before or after the call's answer; the connection is
// sent the JobRemoved signals of its own units only; status comes from
// ListUnitsByPatterns and two properties, and never loads a unit (a
// stopped instance's unit that systemd unloaded stays unloaded).
func TestSupervisorOverRealBus(t *testing.T) {
	addr := testBus(t)
	m := startFakeManager(t, addr)
	m.results[UnitName("broken")] = "failed"
	m.state[UnitName("alpha")] = [2]string{"active", "running"}
	m.state[UnitName("broken")] = [2]string{"failed", "failed"}

	s := &Supervisor{dial: dialTest(addr)}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	// Every signal the bus delivers to the supervisor's connection.
	b, err := s.connection(ctx)
	if err != nil {
		t.Fatal(err)
	}
	seen := make(chan *dbus.Signal, 100)
	b.conn.Signal(seen)

	for _, first := range []bool{true, false} {
		m.mu.Lock()
		m.signalFirst = first
		m.mu.Unlock()
		if err := s.Stop(ctx, "alpha"); err != nil {
			t.Errorf("signal first %v: stop alpha: %v", first, err)
		}
		if err := s.Restart(ctx, "alpha"); err != nil {
			t.Errorf("signal first %v: restart alpha: %v", first, err)
		}
		err := s.Start(ctx, "broken")
		if err == nil || !strings.Contains(err.Error(), "the unit failed") {
			t.Errorf("signal first %v: start broken = %v, want the unit failed", first, err)
		}
	}
	// Concurrent jobs on one connection each get their own result.
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Stop(ctx, "alpha"); err != nil {
				t.Errorf("concurrent stop: %v", err)
			}
		}()
	}
	wg.Wait()

	time.Sleep(50 * time.Millisecond) // let late signals arrive
	for len(seen) > 0 {
		sig := <-seen
		if sig.Name == jobRemovedSig && len(sig.Body) > 2 && sig.Body[2] == "other.service" {
			t.Errorf("the connection was sent another unit's JobRemoved: %v", sig.Body)
		}
	}

	st, err := s.Status(ctx, "alpha")
	if err != nil || st.State != instance.Running || st.Since.IsZero() {
		t.Errorf("status alpha = %+v, %v; want running with a time", st, err)
	}
	st, err = s.Status(ctx, "broken")
	if err != nil || st.State != instance.Failed || st.Result != "exit-code" {
		t.Errorf("status broken = %+v, %v; want failed, exit-code", st, err)
	}
	st, err = s.Status(ctx, "ghost")
	if err != nil || st.State != instance.Stopped {
		t.Errorf("status of a unit without a file = %+v, %v; want stopped", st, err)
	}
	m.mu.Lock()
	calls := strings.Join(m.calls, "\n")
	m.mu.Unlock()
	if !strings.Contains(calls, "ResetFailedUnit "+UnitName("broken")) || !strings.Contains(calls, "StartUnit "+UnitName("broken")+" replace") {
		t.Errorf("calls:\n%s", calls)
	}
	if strings.Contains(calls, "loads units") {
		t.Errorf("a status loaded units (systemd parses each unit file):\n%s", calls)
	}
}

// TestSupervisorReconnects: a connection that dropped is dialled again.
func TestSupervisorReconnects(t *testing.T) {
	addr := testBus(t)
	startFakeManager(t, addr)
	s := &Supervisor{dial: dialTest(addr)}
	defer s.Close()
	ctx := context.Background()
	if err := s.Stop(ctx, "alpha"); err != nil {
		t.Fatal(err)
	}
	s.bus.conn.Close()
	if err := s.Stop(ctx, "alpha"); err != nil {
		t.Fatalf("after the connection dropped: %v", err)
	}
}

// TestSlowCallHoldsUpNoOtherJob: while systemd (or polkit behind it) takes
// its time to answer one job's call, another job of the same process is
// queued and finished. Holding a lock across the call would deadlock this
// test until its deadline.
func TestSlowCallHoldsUpNoOtherJob(t *testing.T) {
	addr := testBus(t)
	m := startFakeManager(t, addr)
	m.gate = make(chan struct{})
	s := &Supervisor{dial: dialTest(addr)}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	slow := make(chan error, 1)
	go func() { slow <- s.Start(ctx, "slow") }()
	// Wait until the slow call is with the manager (or give up).
	for {
		m.mu.Lock()
		n := len(m.calls)
		m.mu.Unlock()
		if n > 0 || ctx.Err() != nil {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if err := s.Stop(ctx, "alpha"); err != nil {
		t.Fatalf("stop alpha while another call waits for its answer: %v", err)
	}
	close(m.gate)
	if err := <-slow; err != nil {
		t.Fatalf("the slow start: %v", err)
	}
}

// TestStartResetsTheStartLimit: a start systemd refuses because the unit
// hit its start limit (a unit still loaded, stopped and started a few times
// within a minute) is reset, as systemctl reset-failed does, and tried once
// more; a start that succeeds resets nothing.
func TestStartResetsTheStartLimit(t *testing.T) {
	addr := testBus(t)
	m := startFakeManager(t, addr)
	m.state[UnitName("limited")] = [2]string{"inactive", "dead"}
	m.results[UnitName("limited")] = "failed"
	m.limited = UnitName("limited")
	s := &Supervisor{dial: dialTest(addr)}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Start(ctx, "limited"); err != nil {
		t.Fatalf("start of a unit at its start limit: %v", err)
	}
	if err := s.Start(ctx, "ghost"); err != nil {
		t.Fatalf("start ghost: %v", err)
	}
	m.mu.Lock()
	calls := strings.Join(m.calls, "\n")
	m.mu.Unlock()
	want := "StartUnit " + UnitName("limited") + " replace\nResetFailedUnit " + UnitName("limited") + "\nStartUnit " + UnitName("limited") + " replace"
	if !strings.Contains(calls, want) {
		t.Errorf("calls:\n%s\nwant in order:\n%s", calls, want)
	}
	if strings.Contains(calls, "ResetFailedUnit "+UnitName("ghost")) || strings.Contains(calls, "loads units") {
		t.Errorf("a start that succeeded reset or loaded a unit:\n%s", calls)
	}
}

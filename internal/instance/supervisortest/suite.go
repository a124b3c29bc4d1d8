// Package supervisortest is the conformance suite of instance.Supervisor:
// what the lifecycle service relies on from any implementation. The
// systemd and process supervisors run it; an Agones supervisor would have
// to pass it too (docs/scale-out.md §4).
package supervisortest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/instance"
)

// Harness is what the suite needs from an implementation's test.
type Harness struct {
	// Supervisor is the implementation under test.
	Supervisor instance.Supervisor
	// Prepare makes instance name startable the way the instance service
	// does before it calls Start (docs/architecture.md §2: the staged
	// instance.env, a unit file, an exported image); with crash its server
	// exits with an error as soon as it has started.
	Prepare func(t *testing.T, name string, crash bool)
	// Settle bounds how long a state may take to show after a call
	// returned (an asynchronous backend's status lags); 30 s when zero.
	Settle time.Duration
}

// Run runs every conformance test against h. Instance names begin with
// "conform-".
func Run(t *testing.T, h Harness) {
	if h.Settle == 0 {
		h.Settle = 30 * time.Second
	}
	t.Run("UnknownIsStopped", func(t *testing.T) { unknownIsStopped(t, h) })
	t.Run("StartStop", func(t *testing.T) { startStop(t, h) })
	t.Run("StartIsIdempotent", func(t *testing.T) { startIsIdempotent(t, h) })
	t.Run("StopOfStoppedIsNoError", func(t *testing.T) { stopOfStopped(t, h) })
	t.Run("Restart", func(t *testing.T) { restart(t, h) })
	t.Run("CrashIsFailed", func(t *testing.T) { crashIsFailed(t, h) })
	t.Run("InstancesAreIndependent", func(t *testing.T) { independent(t, h) })
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

// waitFor polls Status until it reports want, within h.Settle.
func waitFor(t *testing.T, h Harness, name string, want instance.State) instance.Status {
	t.Helper()
	deadline := time.Now().Add(h.Settle)
	var st instance.Status
	var err error
	for {
		st, err = h.Supervisor.Status(ctx(t), name)
		if err == nil && st.State == want {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("Status(%s) = %+v, %v; want %s", name, st, err, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stopAtEnd stops name when the test ends, whatever happened.
func stopAtEnd(t *testing.T, h Harness, name string) {
	t.Cleanup(func() { h.Supervisor.Stop(context.Background(), name) })
}

// unknownIsStopped: an instance never started is stopped, not an error
// (the service lists instances whose server never ran).
func unknownIsStopped(t *testing.T, h Harness) {
	st, err := h.Supervisor.Status(ctx(t), "conform-never")
	if err != nil || st.State != instance.Stopped {
		t.Errorf("Status of a never-started instance = %+v, %v; want stopped", st, err)
	}
}

// startStop: Start returns once the start has been carried out and the
// server then runs; Stop returns once it has stopped.
func startStop(t *testing.T, h Harness) {
	name := "conform-a"
	h.Prepare(t, name, false)
	stopAtEnd(t, h, name)
	if err := h.Supervisor.Start(ctx(t), name); err != nil {
		t.Fatalf("Start: %v", err)
	}
	waitFor(t, h, name, instance.Running)
	if err := h.Supervisor.Stop(ctx(t), name); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	waitFor(t, h, name, instance.Stopped)
}

// startIsIdempotent: a start of a running instance succeeds and leaves it
// running (two callers may start the same instance).
func startIsIdempotent(t *testing.T, h Harness) {
	name := "conform-b"
	h.Prepare(t, name, false)
	stopAtEnd(t, h, name)
	for i := range 2 {
		if err := h.Supervisor.Start(ctx(t), name); err != nil {
			t.Fatalf("Start %d: %v", i+1, err)
		}
		waitFor(t, h, name, instance.Running)
	}
}

// stopOfStopped: stopping a stopped instance is no error (a stop after a
// crash, or a second caller's stop).
func stopOfStopped(t *testing.T, h Harness) {
	name := "conform-c"
	h.Prepare(t, name, false)
	for i := range 2 {
		if err := h.Supervisor.Stop(ctx(t), name); err != nil {
			t.Fatalf("Stop %d of a stopped instance: %v", i+1, err)
		}
	}
	waitFor(t, h, name, instance.Stopped)
}

// restart: Restart of a running instance leaves it running.
func restart(t *testing.T, h Harness) {
	name := "conform-d"
	h.Prepare(t, name, false)
	stopAtEnd(t, h, name)
	if err := h.Supervisor.Start(ctx(t), name); err != nil {
		t.Fatalf("Start: %v", err)
	}
	waitFor(t, h, name, instance.Running)
	if err := h.Supervisor.Restart(ctx(t), name); err != nil {
		t.Fatalf("Restart: %v", err)
	}
	waitFor(t, h, name, instance.Running)
}

// crashIsFailed: a server that exits with an error ends Failed (the
// panel shows it and the watchdog and the crash webhook act on it), whether
// or not Start saw it.
func crashIsFailed(t *testing.T, h Harness) {
	name := "conform-crash"
	h.Prepare(t, name, true)
	stopAtEnd(t, h, name)
	_ = h.Supervisor.Start(ctx(t), name) // may report the crash or not
	waitFor(t, h, name, instance.Failed)
	if err := h.Supervisor.Stop(ctx(t), name); err != nil {
		t.Errorf("Stop of a failed instance: %v", err)
	}
}

// independent: instances started and stopped at once do not disturb one
// another.
func independent(t *testing.T, h Harness) {
	names := []string{"conform-e", "conform-f", "conform-g"}
	for _, n := range names {
		h.Prepare(t, n, false)
		stopAtEnd(t, h, n)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(names))
	for i, n := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = h.Supervisor.Start(ctx(t), n)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Start %s: %v", names[i], err)
		}
	}
	for _, n := range names {
		waitFor(t, h, n, instance.Running)
	}
	if err := h.Supervisor.Stop(ctx(t), names[1]); err != nil {
		t.Fatalf("Stop %s: %v", names[1], err)
	}
	waitFor(t, h, names[1], instance.Stopped)
	waitFor(t, h, names[0], instance.Running)
	waitFor(t, h, names[2], instance.Running)
}

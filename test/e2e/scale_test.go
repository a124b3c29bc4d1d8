package e2e

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// busyName is the instance whose unmount the harness makes fail on purpose;
// finalJournalCheck ignores the EBUSY lines that names it.
const busyName = "busyumount"

// stopFailureChecks: a stop that leaves the overlay mounted fails loudly in
// the CLI, and stopping again retries the unmount through the unit.
func (h *harness) stopFailureChecks(t *testing.T) {
	h.check(t, "stop/failure-is-loud", func(t *testing.T) {
		h.createAuto(t, busyName)
		h.cliOK(t, "instance", "start", busyName)
		h.mustMounted(t, busyName, true)
		// A root process outside the unit enters the unit's mount namespace
		// (an operator's nsenter shell, say) and stays: when the unit stops,
		// that namespace, and the overlay in it, outlives the unit.
		main := h.prop(t, unitName(busyName), "MainPID")
		out, err := h.c.exec(h.ctx, nil, "sh", "-c",
			`nsenter -t "$1" -m sleep 97 </dev/null >/dev/null 2>&1 & echo $!`, "sh", main)
		if err != nil {
			t.Fatalf("start the holder: %v\n%s", err, out)
		}
		holder := strings.TrimSpace(out)
		if err := within(h.ctx, 5*time.Second, "holder in the unit's namespace", func() (bool, error) {
			return len(h.overlayHolders(t)[busyName]) > 1, nil
		}); err != nil {
			t.Fatal(err)
		}
		out, err = h.c.cli(h.ctx, nil, "instance", "stop", busyName)
		if err == nil {
			t.Fatalf("left4me instance stop succeeded although the overlay stayed mounted:\n%s", out)
		}
		if !strings.Contains(out, "stop failed") {
			t.Errorf("stop's error does not say what happened:\n%s", out)
		}
		t.Logf("failed stop says: %s", strings.TrimSpace(out))
		if !strings.Contains(h.unitLog(busyName), "still mounted in the mount namespace of process") {
			t.Errorf("the unit's log does not name the process holding the overlay:\n%s", h.unitLog(busyName))
		}
		if _, err := h.c.exec(h.ctx, nil, "sh", "-c", `kill "$1"`, "sh", holder); err != nil {
			t.Fatalf("stop the holder: %v", err)
		}
		if err := within(h.ctx, 5*time.Second, "holder gone", func() (bool, error) {
			return len(h.overlayHolders(t)[busyName]) == 0, nil
		}); err != nil {
			t.Fatal(err)
		}
		// Stopping again retries the clean-up through the unit.
		if out, err := h.c.cli(h.ctx, nil, "instance", "stop", busyName); err != nil {
			t.Fatalf("second stop: %v\n%s\n%s", err, out, h.unitLog(busyName))
		}
		h.mustMounted(t, busyName, false)
		h.mustState(t, busyName, "inactive")
		h.cliOK(t, "instance", "delete", busyName, "--yes")
	})
}

// createAuto creates an instance on a port the service picks.
func (h *harness) createAuto(t *testing.T, name string) {
	t.Helper()
	if out, err := h.c.cli(h.ctx, serverCfg(name), "instance", "create", name, "--owner", adminUser,
		"--layer", layerID, "--cfg", "-"); err != nil {
		t.Fatalf("left4me instance create %s: %v\n%s", name, err, out)
	}
}

// concurrently runs the CLI with args+name for every name at once, as an
// operator's script (or systemd at boot) would, and returns the wall time
// and the failures.
func (h *harness) concurrently(names []string, args ...string) (time.Duration, []string) {
	var (
		mu   sync.Mutex
		errs []string
		wg   sync.WaitGroup
	)
	start := time.Now()
	for _, n := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if out, err := h.c.cli(h.ctx, nil, append(append([]string{}, args...), n)...); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Sprintf("%s: %v: %s", n, err, strings.TrimSpace(out)))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return time.Since(start), errs
}

// unitStates counts the ActiveState of the named instances' units.
func (h *harness) unitStates(t *testing.T, names []string) map[string]int {
	t.Helper()
	units := make([]string, len(names))
	for i, n := range names {
		units[i] = unitName(n)
	}
	out, err := h.c.exec(h.ctx, nil, append([]string{"systemctl", "show", "-p", "ActiveState", "--value"}, units...)...)
	if err != nil {
		t.Fatalf("systemctl show: %v", err)
	}
	counts := map[string]int{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			counts[l]++
		}
	}
	return counts
}

// mountedCount counts the named instances whose overlay is mounted in any
// namespace of the guest.
func (h *harness) mountedCount(t *testing.T, names []string) int {
	t.Helper()
	held := h.overlayHolders(t)
	n := 0
	for _, name := range names {
		if len(held[name]) > 0 {
			n++
		}
	}
	return n
}

// dependencyFailureRE matches what systemd logs when a unit could not start
// because of a dependency or its start limit (issue: Debian 13's
// systemd-journald-sync@ start limit).
var dependencyFailureRE = regexp.MustCompile(`Dependency failed|start-limit-hit|Start request repeated too quickly`)

// journalSince returns the journal lines (all namespaces) since the cursor
// time, matching re.
func (h *harness) journalSince(t *testing.T, since time.Time, re *regexp.Regexp) []string {
	t.Helper()
	return matchingLines(re, h.journal(t, "--since", "@"+strconv.FormatInt(since.Unix()-1, 10)))
}

// cycleChecks: quick start/stop cycles never hit a start limit or a failed
// dependency (Debian 13's journald namespace units), on one instance and on
// ten restarted at once.
func (h *harness) cycleChecks(t *testing.T) {
	h.check(t, "cycles/rolling-restart-10-at-once", func(t *testing.T) {
		names := make([]string, 10)
		for i := range names {
			names[i] = fmt.Sprintf("roll%d", i)
			h.createAuto(t, names[i])
		}
		since := time.Now()
		if d, errs := h.concurrently(names, "instance", "start"); len(errs) > 0 {
			t.Fatalf("start of 10 at once (%s): %s", d, strings.Join(errs, "\n"))
		}
		for round := range 3 {
			d, errs := h.concurrently(names, "instance", "restart")
			if len(errs) > 0 {
				t.Fatalf("round %d: restart of 10 at once: %s", round, strings.Join(errs, "\n"))
			}
			t.Logf("round %d: 10 restarts at once in %s", round, d.Round(time.Millisecond))
		}
		if st := h.unitStates(t, names); st["active"] != len(names) {
			t.Errorf("after the restarts: unit states %v, want all active", st)
		}
		if _, errs := h.concurrently(names, "instance", "stop"); len(errs) > 0 {
			t.Fatalf("stop of 10 at once: %s", strings.Join(errs, "\n"))
		}
		if n := h.mountedCount(t, names); n != 0 {
			t.Errorf("%d overlays still mounted after the stops", n)
		}
		if bad := h.journalSince(t, since, dependencyFailureRE); len(bad) > 0 {
			t.Errorf("start limit or dependency failures in the journal:\n%s", strings.Join(bad, "\n"))
		}
		for _, n := range names {
			h.cliOK(t, "instance", "delete", n, "--yes")
		}
	})
}

// scaleSizes are the instance counts of the scale benchmark
// (LEFT4ME_E2E_SCALE, space-separated, overrides).
func scaleSizes() []int {
	sizes := []int{10, 50, 100}
	if v := strings.Fields(os.Getenv("LEFT4ME_E2E_SCALE")); len(v) > 0 {
		sizes = sizes[:0]
		for _, f := range v {
			if n, err := strconv.Atoi(f); err == nil && n > 0 {
				sizes = append(sizes, n)
			}
		}
	}
	return sizes
}

// scaleChecks starts N instances at once and stops them at once, for each
// N of scaleSizes, through the CLI as user left4me, and checks that every
// unit became active, none ended failed, no overlay stayed mounted and the
// journal has no EBUSY, start-limit or dependency failure. The times and the
// per-instance cost are measurements, not assertions.
func (h *harness) scaleChecks(t *testing.T) {
	created := 0
	var names []string
	for _, n := range scaleSizes() {
		h.check(t, fmt.Sprintf("scale/%d-at-once", n), func(t *testing.T) {
			for ; created < n; created++ {
				name := fmt.Sprintf("s%03d", created)
				h.createAuto(t, name)
				names = append(names, name)
			}
			set := names[:n]
			since := time.Now()
			startD, errs := h.concurrently(set, "instance", "start")
			if len(errs) > 0 {
				t.Errorf("%d of %d starts failed:\n%s", len(errs), n, strings.Join(errs[:min(len(errs), 5)], "\n"))
			}
			if st := h.unitStates(t, set); st["active"] != n {
				t.Errorf("after starting %d at once: unit states %v", n, st)
			}
			stopD, errs := h.concurrently(set, "instance", "stop")
			if len(errs) > 0 {
				t.Errorf("%d of %d stops failed:\n%s", len(errs), n, strings.Join(errs[:min(len(errs), 5)], "\n"))
			}
			st := h.unitStates(t, set)
			mounted := h.mountedCount(t, set)
			if st["inactive"] != n || mounted != 0 {
				t.Errorf("after stopping %d at once: unit states %v, %d overlays still mounted", n, st, mounted)
			}
			if bad := h.journalSince(t, since, regexp.MustCompile(ebusyRE.String()+"|"+dependencyFailureRE.String()+"|stop-post. timed out")); len(bad) > 0 {
				t.Errorf("in the journal:\n%s", strings.Join(bad[:min(len(bad), 10)], "\n"))
			}
			per := func(d time.Duration) string { return ms(d / time.Duration(n)) }
			h.measure(fmt.Sprintf("scale %d: start all at once / stop all at once (one CLI process each)", n),
				fmt.Sprintf("%s / %s (per instance %s / %s)", ms(startD), ms(stopD), per(startD), per(stopD)))
			t.Logf("%d instances: start %s, stop %s", n, startD.Round(time.Millisecond), stopD.Round(time.Millisecond))

			// The same through one CLI call naming them all (four at a time).
			one := func(verb string) time.Duration {
				s := time.Now()
				if out, err := h.c.cli(h.ctx, nil, append([]string{"instance", verb}, set...)...); err != nil {
					t.Errorf("left4me instance %s (%d names): %v\n%.2000s", verb, n, err, out)
				}
				return time.Since(s)
			}
			startOne := one("start")
			if st := h.unitStates(t, set); st["active"] != n {
				t.Errorf("after one start call for %d: unit states %v", n, st)
			}
			stopOne := one("stop")
			if st, m := h.unitStates(t, set), h.mountedCount(t, set); st["inactive"] != n || m != 0 {
				t.Errorf("after one stop call for %d: unit states %v, %d overlays still mounted", n, st, m)
			}
			h.measure(fmt.Sprintf("scale %d: start / stop through one CLI call", n),
				fmt.Sprintf("%s / %s (per instance %s / %s)", ms(startOne), ms(stopOne), per(startOne), per(stopOne)))
			// Failed units of this round must not hide the next round's.
			_, _ = h.c.exec(h.ctx, nil, "systemctl", "reset-failed", "left4me-server@s*")
		})
	}
	for _, n := range names {
		if _, err := h.c.cli(h.ctx, nil, "instance", "delete", n, "--yes"); err != nil {
			t.Errorf("delete %s: %v", n, err)
		}
	}
}

package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// The instance the events checks drive.
const (
	epsilon  = "epsilon"
	epsilonP = 27040
	logcap   = "logcap"
	logcapP  = 27043
)

// webEnvPath is the panel's settings file in the guest.
const webEnvPath = "/etc/left4me/web.env"

// eventChecks: the events feed without UDP logs, and the cap on the
// server's log files. Whether a real L4D2 server
// sends its UDP log anywhere is unverified (docs/srcds.md §8), so the
// panel also reads the log lines the server echoes to its console, i.e.
// the journal.
func (h *harness) eventChecks(t *testing.T) {
	h.check(t, "events/without-udp-listener", func(t *testing.T) {
		restore := h.setWebEnv(t, map[string]string{"LOG_LISTENER_BIND": "", "LOG_LISTENER_ADDR": ""})
		defer restore()
		if udp, err := h.c.exec(h.ctx, nil, "cat", "/proc/net/udp", "/proc/net/udp6"); err != nil {
			t.Fatal(err)
		} else if strings.Contains(strings.ToUpper(udp), fmt.Sprintf(":%04X ", 28000)) {
			t.Fatalf("a UDP socket is still bound to port 28000:\n%s", udp)
		}

		// One simulated player joins right after the start: the panel's
		// follower reads it back from the journal.
		h.create(t, epsilon, epsilonP, "-fakeplayers", "1")
		defer func() {
			_, _ = h.c.cli(h.ctx, nil, "instance", "stop", epsilon)
			_, _ = h.c.cli(h.ctx, nil, "instance", "delete", epsilon, "--yes")
		}()
		p := h.login(t)
		base := "/api/v1/instances/" + epsilon
		p.api(t, "POST", base+"/start")
		h.mustState(t, epsilon, "active")
		// The launch cfg (run once at launch) turns logging on; with no
		// listener it names no log address.
		staged, err := os.ReadFile(h.c.path(runtimeDir(epsilon) + "/upper/left4dead2/cfg/left4me_launch.cfg"))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(staged), "logaddress_add") || !regexp.MustCompile(`(?m)^log on$`).Match(staged) {
			t.Fatalf("staged launch cfg without a listener: want log on and no logaddress_add:\n%s", staged)
		}
		h.mustEvents(t, p, base, []string{"connect Ellie", "entered Ellie"})

		// A second one joins while the follower runs.
		code, body := p.do(t, "POST", base+"/rcon", strings.NewReader(`{"command":"fakesrcds_players 2"}`),
			http.Header{"X-CSRF-Token": {p.csrf}, "Content-Type": {"application/json"}})
		if code != http.StatusOK {
			t.Fatalf("RCON through the panel: %d %s", code, strings.TrimSpace(body))
		}
		evs := h.mustEvents(t, p, base, []string{"connect Ellie", "entered Ellie", "connect Marcus", "entered Marcus"})
		// Each line once, and the panel's own status polls are no events.
		seen := map[string]int{}
		for _, e := range evs {
			key := e.Kind + " " + e.Player + " " + e.Text
			if seen[key]++; seen[key] > 1 {
				t.Errorf("event %q appears %d times", key, seen[key])
			}
			if e.Kind == "rcon" && strings.EqualFold(strings.TrimSpace(e.Text), "status") {
				t.Errorf("the panel's status poll became an event: %+v", e)
			}
		}
		t.Logf("events: %d (%v)", len(evs), seen)
	})
	h.check(t, "logs/capped-at-start", func(t *testing.T) {
		// The server writes log files into upper/ (log on at every map
		// start); the next start keeps only the newest of them.
		h.create(t, logcap, logcapP)
		defer func() {
			_, _ = h.c.cli(h.ctx, nil, "instance", "stop", logcap)
			_, _ = h.c.cli(h.ctx, nil, "instance", "delete", logcap, "--yes")
		}()
		h.cliOK(t, "instance", "start", logcap)
		h.mustState(t, logcap, "active")
		logs := runtimeDir(logcap) + "/upper/left4dead2/logs"
		if err := within(h.ctx, 20*time.Second, "a log file in "+logs, func() (bool, error) {
			return len(h.logFiles(t, logs)) > 0, nil
		}); err != nil {
			t.Fatalf("%v\n%s", err, h.unitLog(logcap))
		}
		h.cliOK(t, "instance", "stop", logcap)
		if out, err := h.c.asUser(h.ctx, "left4me", nil, "sh", "-c",
			`cd "$1" && for i in $(seq 100 139); do touch -d "2 days ago" "L0101$i.log"; done`, "sh", logs); err != nil {
			t.Fatalf("write old log files: %v\n%s", err, out)
		}
		before := h.logFiles(t, logs)
		h.cliOK(t, "instance", "start", logcap)
		h.mustState(t, logcap, "active")
		// Staging kept the newest 20 of them; the server may have begun
		// new ones since.
		var kept []string
		for _, f := range h.logFiles(t, logs) {
			if slices.Contains(before, f) {
				kept = append(kept, f)
			}
		}
		if len(kept) != 20 || slices.Contains(kept, "L0101100.log") {
			t.Errorf("of %d log files before a start %d are left: %v; want the newest 20", len(before), len(kept), kept)
		}
	})
}

// logFiles lists the LMMDDNNN.log files in a guest directory.
func (h *harness) logFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(h.c.path(dir))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if regexp.MustCompile(`^L\d{7}\.log$`).MatchString(e.Name()) {
			out = append(out, e.Name())
		}
	}
	return out
}

type e2eEvent struct {
	Kind   string `json:"kind"`
	Player string `json:"player"`
	Text   string `json:"text"`
	Map    string `json:"map"`
}

// mustEvents waits until the instance's events include every "kind player"
// in want and returns them all.
func (h *harness) mustEvents(t *testing.T, p *panel, base string, want []string) []e2eEvent {
	t.Helper()
	var got struct {
		Events []e2eEvent `json:"events"`
	}
	err := within(h.ctx, 30*time.Second, "events "+strings.Join(want, ", "), func() (bool, error) {
		code, body := p.do(t, "GET", base+"/events", nil, nil)
		if code != http.StatusOK {
			return false, fmt.Errorf("GET events: %d %s", code, strings.TrimSpace(body))
		}
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			return false, err
		}
		have := map[string]bool{}
		for _, e := range got.Events {
			have[e.Kind+" "+e.Player] = true
		}
		for _, w := range want {
			if !have[w] {
				return false, fmt.Errorf("no %q event yet", w)
			}
		}
		return true, nil
	})
	if err != nil {
		log, _ := h.c.exec(h.ctx, nil, "journalctl", "--namespace=left4me", "--no-pager", "-n", "30", "-u", unitName(strings.TrimPrefix(base, "/api/v1/instances/")))
		web, _ := h.c.exec(h.ctx, nil, "journalctl", "--no-pager", "-n", "20", "-u", "left4me-web.service")
		t.Fatalf("%v; events %+v\n--- server journal:\n%s\n--- web:\n%s", err, got.Events, log, web)
	}
	return got.Events
}

// setWebEnv rewrites variables of the panel's web.env and restarts the
// panel; the returned function puts the file back and restarts it again.
func (h *harness) setWebEnv(t *testing.T, vars map[string]string) func() {
	t.Helper()
	path := h.c.path(webEnvPath)
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(orig), "\n")
	for i, l := range lines {
		if name, _, ok := strings.Cut(l, "="); ok {
			if v, set := vars[strings.TrimSpace(name)]; set {
				lines[i] = name + "=" + v
			}
		}
	}
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), fi.Mode().Perm()); err != nil {
		t.Fatal(err)
	}
	h.restartPanel(t)
	return func() {
		if err := os.WriteFile(path, orig, fi.Mode().Perm()); err != nil {
			t.Errorf("restore %s: %v", webEnvPath, err)
			return
		}
		h.restartPanel(t)
	}
}

// restartPanel restarts left4me-web.service and waits for /health.
func (h *harness) restartPanel(t *testing.T) {
	t.Helper()
	if out, err := h.c.exec(h.ctx, nil, "systemctl", "restart", "left4me-web.service"); err != nil {
		t.Fatalf("restart the panel: %v\n%s", err, out)
	}
	h.waitPanel(t)
}

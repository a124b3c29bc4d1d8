package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/left4me/left4me/internal/doctor"
)

// doctorScript runs "left4me doctor ARGS" with the settings of /etc/left4me
// and the guest's LAN address as the host address the probe queries: the
// guest's only non-loopback address sits on lo, which hostaddr.Primary
// skips, and the stand-in (like srcds) ignores A2S from 127.0.0.1.
const doctorScript = `set -a; . /etc/left4me/host.env; . /etc/left4me/web.env; set +a; LEFT4ME_QUERY_HOST=` + guestLANAddr + ` exec /usr/bin/left4me doctor "$@"`

// doctorReport parses the JSON report at the start of out (the command's
// stderr line about failures follows it).
func doctorReport(t *testing.T, out string) doctor.Report {
	t.Helper()
	var rep doctor.Report
	if err := json.NewDecoder(strings.NewReader(out)).Decode(&rep); err != nil {
		t.Fatalf("left4me doctor --json printed no report: %v\n%s", err, out)
	}
	return rep
}

func reportText(rep doctor.Report) string {
	var b strings.Builder
	for _, c := range rep.Checks {
		b.WriteString(string(c.Status) + " " + c.Name + ": " + c.Found)
		if c.Fix != "" {
			b.WriteString(" — fix: " + c.Fix)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// doctorChecks: "left4me doctor" reports every check on the installed
// guest, and its probe passes against the stand-in installation.
func (h *harness) doctorChecks(t *testing.T) {
	h.check(t, "doctor/root-reports-every-check", func(t *testing.T) {
		out, err := h.c.exec(h.ctx, nil, "sh", "-c", doctorScript, "left4me", "--json")
		rep := doctorReport(t, out)
		t.Logf("left4me doctor as root (exit error %v):\n%s", err, reportText(rep))
		if rep.User != "root" {
			t.Errorf("report user = %q, want root", rep.User)
		}
		byName := map[string]doctor.Result{}
		for _, c := range rep.Checks {
			byName[c.Name] = c
		}
		for _, name := range doctor.CheckNames {
			c, ok := byName[name]
			switch {
			case !ok:
				t.Errorf("check %s missing from the report", name)
			case c.Status != doctor.OK && c.Status != doctor.Warn && c.Status != doctor.Fail:
				// As root nothing is skipped: polkit and the journal are
				// asked as left4me.
				t.Errorf("check %s: status %q as root", name, c.Status)
			}
		}
		// What the harness installed must be found healthy.
		for _, name := range []string{"kernel-overlay", "helper", "units", "polkit", "installation", "web"} {
			if c := byName[name]; c.Status != doctor.OK {
				t.Errorf("check %s on the installed guest: %s %s (fix: %s)", name, c.Status, c.Found, c.Fix)
			}
		}
		// Before any instance ran (LEFT4ME_E2E_ONLY=doctor) the namespace
		// has no journal files yet: a warning, not a failure.
		if c := byName["journal"]; c.Status == doctor.Fail {
			t.Errorf("check journal on the installed guest: %s %s (fix: %s)", c.Status, c.Found, c.Fix)
		}
		if rep.Failed != (err != nil) {
			t.Errorf("report failed = %v but exit error %v", rep.Failed, err)
		}
		h.measure("doctor (root)", summary(rep))
	})
	h.check(t, "doctor/probe-as-left4me", func(t *testing.T) {
		out, err := h.c.asUser(h.ctx, "left4me", nil, "sh", "-c", doctorScript, "left4me", "--probe", "--json")
		rep := doctorReport(t, out)
		t.Logf("left4me doctor --probe as left4me (exit error %v):\n%s", err, reportText(rep))
		if rep.User != "left4me" {
			t.Errorf("report user = %q, want left4me", rep.User)
		}
		got := map[string]doctor.Result{}
		for _, c := range rep.Checks {
			got[c.Name] = c
		}
		for _, name := range doctor.ProbeNames {
			c, ok := got[name]
			switch {
			case !ok:
				t.Errorf("probe step %s missing from the report", name)
			case name == "probe-udp-log" && c.Status == doctor.Warn:
				t.Logf("UDP log line not received (a warning by design): %s", c.Found)
			case c.Status != doctor.OK:
				t.Errorf("probe step %s: %s %s", name, c.Status, c.Found)
			}
		}
		// Nothing of the temporary instance is left.
		list := h.cliOK(t, "instance", "list")
		if strings.Contains(list, "doctor-probe") {
			t.Errorf("a probe instance is left:\n%s", list)
		}
		if out, _ := h.c.exec(h.ctx, nil, "sh", "-c", "ls -d "+stateRoot+"/instances/doctor-probe* "+stateRoot+"/runtime/doctor-probe* 2>/dev/null; grep doctor-probe /proc/1/mountinfo"); strings.TrimSpace(out) != "" {
			t.Errorf("probe leftovers in the guest:\n%s", out)
		}
		h.measure("doctor --probe (left4me)", summary(rep))
	})
}

// summary counts a report's statuses.
func summary(rep doctor.Report) string {
	n := map[doctor.Status]int{}
	for _, c := range rep.Checks {
		n[c.Status]++
	}
	var parts []string
	for _, s := range []doctor.Status{doctor.OK, doctor.Warn, doctor.Fail, doctor.Skip} {
		if n[s] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", s, n[s]))
		}
	}
	return strings.Join(parts, ", ")
}

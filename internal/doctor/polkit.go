package doctor

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
)

// CommandRunner runs a program and returns its combined output.
type CommandRunner interface {
	// Run runs argv as the account as (nil: as the running user; as root,
	// any other account's uid, gid and groups) with a plain environment.
	Run(ctx context.Context, as *Account, argv ...string) (string, error)
}

// asService returns how a command must run to act as the service user:
// nil when the doctor is that user, the account when it is root (which
// may switch to it), and ok=false when it is neither.
func (d *Doctor) asService() (as *Account, ok bool) {
	switch {
	case d.Identity.service():
		return nil, true
	case d.Identity.root() && d.Identity.ServiceErr == nil:
		return &d.Identity.Service, true
	}
	return nil, false
}

// negativeUnit is a unit the service user must not manage. It does not
// exist, so even a too-generous rule changes nothing by resetting it.
const negativeUnit = "doctor-probe-not-left4me.service"

// resetFailedArgv calls ResetFailed on the unit's object.
//
// NOTE: systemd's Manager.ResetFailedUnit answers "Unit … not loaded" for
// a unit that is not loaded before it asks polkit, so it proves nothing
// about the rule; a call on the unit's object path loads the unit first,
// and then polkit always decides. Interactive authorization is off: only a
// rule can allow it.
func resetFailedArgv(unit string) []string {
	return []string{"busctl", "--system", "--allow-interactive-authorization=no", "call",
		"org.freedesktop.systemd1", "/org/freedesktop/systemd1/unit/" + sddbus.PathBusEscape(unit),
		"org.freedesktop.systemd1.Unit", "ResetFailed"}
}

// denied reports whether busctl's output says polkit refused the call.
func denied(out string) bool {
	for _, s := range []string{"Interactive authentication required", "Access denied", "not authorized", "Permission denied"} {
		if strings.Contains(out, s) {
			return true
		}
	}
	return false
}

// skipped is the line of a check only root or the service user can make.
func (d *Doctor) skipped(name, what string) Result {
	found := "not checked as " + d.Identity.who() + ": " + what + " is only visible to " + ServiceUser
	if d.Identity.root() && d.Identity.ServiceErr != nil {
		found = "not checked: " + d.Identity.ServiceErr.Error()
		return Result{Name: name, Status: Skip, Found: found, Fix: "systemd-sysusers (deploy/sysusers.d/left4me.conf)"}
	}
	return Result{Name: name, Status: Skip, Found: found, Fix: "run the doctor as root or " + ServiceUser}
}

// CheckPolkit: the rule deploy/polkit/50-left4me.rules is effective: the
// service user may reset-failed a left4me-server@ unit (a harmless call
// on a unit that is not running) and may not do the same on another unit.
func (d *Doctor) CheckPolkit(ctx context.Context) Result {
	const name = "polkit"
	as, can := d.asService()
	if !can {
		return d.skipped(name, "what polkit allows")
	}
	unit := "left4me-server@" + ProbeUnitName + ".service"
	out, err := d.Cmd.Run(ctx, as, resetFailedArgv(unit)...)
	fix := "install deploy/polkit/50-left4me.rules to /usr/share/polkit-1/rules.d/ (make install PREFIX=/usr) and make sure polkitd runs (systemctl status polkit)"
	if err != nil {
		if denied(out) {
			return fail(name, fmt.Sprintf("%s may not reset-failed %s: %s", ServiceUser, unit, oneLine(out)), fix)
		}
		return fail(name, fmt.Sprintf("reset-failed %s as %s did not run: %v %s", unit, ServiceUser, err, oneLine(out)), "is busctl (systemd) installed and the system bus running?")
	}
	out, err = d.Cmd.Run(ctx, as, resetFailedArgv(negativeUnit)...)
	switch {
	case err == nil:
		return fail(name, fmt.Sprintf("%s may reset-failed %s too: the polkit rules grant more than left4me's units", ServiceUser, negativeUnit),
			"remove the rule that grants "+ServiceUser+" org.freedesktop.systemd1.manage-units on every unit; keep only deploy/polkit/50-left4me.rules")
	case !denied(out):
		return warn(name, fmt.Sprintf("%s may reset-failed %s; the refusal on another unit could not be checked: %v %s", ServiceUser, unit, err, oneLine(out)), "check /etc/polkit-1/rules.d and /usr/share/polkit-1/rules.d")
	}
	r := ok(name, fmt.Sprintf("%s may reset-failed %s and is refused on %s", ServiceUser, unit, negativeUnit))
	if v := d.polkitVersion(ctx); v > 0 && v < 123 {
		// NOTE: docs/platforms.md, "polkit on Debian 12".
		r.Found += fmt.Sprintf("; note: polkitd %d now and then holds every authorisation (every start and stop by %s) for 15 s under load, a bug fixed in polkit 123 (docs/platforms.md)", v, ServiceUser)
	}
	return r
}

// polkitVersion is polkit's version from "pkaction --version" ("pkaction
// version 122"), 0 when unknown.
func (d *Doctor) polkitVersion(ctx context.Context) int {
	out, err := d.Cmd.Run(ctx, nil, "pkaction", "--version")
	if err != nil {
		return 0
	}
	f := strings.Fields(out)
	if len(f) == 0 {
		return 0
	}
	major, _, _ := strings.Cut(f[len(f)-1], ".")
	v, err := strconv.Atoi(major)
	if err != nil {
		return 0
	}
	return v
}

// CheckJournal: the service user reads the game servers' journal namespace
// (the tmpfiles.d ACL on /var/log/journal/MACHINE.NAMESPACE).
func (d *Doctor) CheckJournal(ctx context.Context) Result {
	const name = "journal"
	as, can := d.asService()
	if !can {
		return d.skipped(name, "the journal namespace")
	}
	ns := d.namespace()
	out, err := d.Cmd.Run(ctx, as, "journalctl", "--namespace="+ns, "-n", "1", "--no-pager", "-o", "short-iso")
	fix := "systemd-tmpfiles --create (deploy/tmpfiles.d/left4me.conf grants " + ServiceUser + " the namespace's journal directory), and start an instance once so the namespace exists"
	switch {
	case strings.Contains(out, "insufficient permissions") || strings.Contains(out, "No journal files were opened"):
		return fail(name, fmt.Sprintf("%s cannot read journal namespace %s: %s", ServiceUser, ns, oneLine(out)), fix)
	case strings.Contains(out, "No journal files were found"):
		return warn(name, fmt.Sprintf("journal namespace %s has no files yet (or %s cannot list them)", ns, ServiceUser), fix)
	case err != nil:
		return fail(name, fmt.Sprintf("journalctl --namespace=%s as %s: %v %s", ns, ServiceUser, err, oneLine(out)), fix)
	}
	last := strings.TrimSpace(out)
	if i := strings.LastIndexByte(last, '\n'); i >= 0 {
		last = last[i+1:]
	}
	if last == "" || strings.HasPrefix(last, "-- No entries --") {
		return ok(name, fmt.Sprintf("%s reads journal namespace %s (no entries yet)", ServiceUser, ns))
	}
	if len(last) > 120 {
		last = last[:120] + "…"
	}
	return ok(name, fmt.Sprintf("%s reads journal namespace %s; last line: %s", ServiceUser, ns, last))
}

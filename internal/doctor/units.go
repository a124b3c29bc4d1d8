package doctor

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
)

// UnitReader reads systemd's view of units over D-Bus. Reading a unit's
// properties loads it from disk when it is not loaded, as "systemctl show"
// does; nothing is started.
type UnitReader interface {
	// UnitProps returns the org.freedesktop.systemd1.Unit properties.
	UnitProps(ctx context.Context, unit string) (map[string]any, error)
	// ServiceProps returns the org.freedesktop.systemd1.Service properties.
	ServiceProps(ctx context.Context, unit string) (map[string]any, error)
	// Manager returns systemd's Version and Features properties.
	Manager(ctx context.Context) (version, features string, err error)
	// ActiveUnits lists the units matching pattern that are active,
	// activating or reloading.
	ActiveUnits(ctx context.Context, pattern string) ([]string, error)
}

// unitWant is what CheckUnits expects of one unit.
type unitWant struct {
	unit    string
	active  bool // should be running (the web panel)
	enabled bool // should start at boot
}

// wantedUnits are the units "make install" ships (Makefile UNITS); the
// templates are checked through an instance that is loaded, never started.
func wantedUnits() []unitWant {
	return []unitWant{
		{unit: "left4me-server@" + ProbeUnitName + ".service"},
		{unit: "left4me-web.service", active: true, enabled: true},
		{unit: "left4me-autostart.service", enabled: true},
		{unit: "left4me-build@" + ProbeUnitName + ".service"},
		{unit: "left4me-steamcmd@" + ProbeUnitName + ".service"},
		{unit: "l4d2-game.slice"},
		{unit: "l4d2-build.slice"},
	}
}

// CheckUnits: every shipped unit is installed and loads without errors;
// the web panel runs and it and the boot autostart are enabled.
func (d *Doctor) CheckUnits(ctx context.Context) Result {
	const name = "units"
	var fails, warns, good []string
	for _, w := range wantedUnits() {
		p, err := d.Units.UnitProps(ctx, w.unit)
		if err != nil && len(good) == 0 && len(fails) == 0 {
			// The first unit: most likely the bus itself is not there.
			return fail(name, fmt.Sprintf("cannot read %s over the system bus: %v", w.unit, err), "run the doctor on the host; is dbus running?")
		}
		if err != nil {
			fails = append(fails, fmt.Sprintf("%s: %v", w.unit, err))
			continue
		}
		load := str(p["LoadState"])
		if load != "loaded" {
			msg := fmt.Sprintf("%s is %s", w.unit, load)
			if e := loadError(p["LoadError"]); e != "" {
				msg += " (" + e + ")"
			}
			fails = append(fails, msg)
			continue
		}
		if w.active && str(p["ActiveState"]) != "active" {
			warns = append(warns, fmt.Sprintf("%s is %s", w.unit, str(p["ActiveState"])))
		}
		if w.enabled && !strings.HasPrefix(str(p["UnitFileState"]), "enabled") {
			warns = append(warns, fmt.Sprintf("%s is %s, not enabled", w.unit, orDash(str(p["UnitFileState"]))))
		}
		good = append(good, w.unit)
	}
	switch {
	case len(fails) > 0:
		return fail(name, strings.Join(fails, "; "), "make install PREFIX=/usr, then systemctl daemon-reload (systemd-analyze verify UNIT shows a bad setting)")
	case len(warns) > 0:
		return warn(name, strings.Join(warns, "; "), "systemctl enable --now left4me-web.service left4me-autostart.service")
	}
	return ok(name, fmt.Sprintf("%d units loaded (%s); the web panel is active", len(good), strings.Join(good, ", ")))
}

// loadError formats the LoadError property ((ss): name, message).
func loadError(v any) string {
	parts, _ := v.([]any)
	if len(parts) == 2 {
		if msg := str(parts[1]); msg != "" {
			return msg
		}
	}
	return ""
}

func str(v any) string {
	switch s := v.(type) {
	case string:
		return s
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// sandbox257 are the service settings of systemd 257 (and older ones they
// extend) that tighten the server's sandbox (issue 17 item 3), by their
// D-Bus property names. A missing property means this systemd lacks it.
var sandbox257 = []string{"PrivatePIDs", "ProtectHostname", "PrivateUsersEx", "RestrictFileSystems", "ProtectControlGroupsEx", "PrivateTmpEx"}

// CheckSystemd: the systemd version, whether SocketBindAllow= is enforced
// (systemd 249+ built with +BPF_FRAMEWORK on a cgroup v2 host; older builds
// accept the setting and ignore it, deploy/systemd/left4me-server@.service),
// and which of the newer sandbox settings the server unit has active.
func (d *Doctor) CheckSystemd(ctx context.Context) Result {
	const name = "systemd"
	version, features, err := d.Units.Manager(ctx)
	if err != nil {
		return fail(name, fmt.Sprintf("cannot ask systemd over the system bus: %v", err), "run the doctor on the host (not in a container without systemd); is dbus running?")
	}
	major := systemdMajor(version)
	bpf := slices.Contains(strings.Fields(features), "+BPF_FRAMEWORK")
	_, cgErr := os.Stat(d.sys("/sys/fs/cgroup/cgroup.controllers"))
	cg2 := cgErr == nil
	enforced := major >= 249 && bpf && cg2
	var why []string
	if major < 249 {
		why = append(why, "older than 249")
	}
	if !bpf {
		why = append(why, "built without BPF_FRAMEWORK")
	}
	if !cg2 {
		why = append(why, "no unified cgroup hierarchy (cgroup v2)")
	}
	found := "systemd " + version + ": SocketBindAllow= "
	if enforced {
		found += "enforced"
	} else {
		found += "not enforced (" + strings.Join(why, ", ") + ")"
	}
	unit := "left4me-server@" + ProbeUnitName + ".service"
	props, err := d.Units.ServiceProps(ctx, unit)
	if err != nil {
		found += fmt.Sprintf("; sandbox settings of %s unreadable: %v", unit, err)
	} else {
		var active, off, missing []string
		for _, p := range sandbox257 {
			v, present := props[p]
			switch {
			case !present:
				missing = append(missing, p)
			case settingActive(v):
				active = append(active, p+"="+settingText(v))
			default:
				off = append(off, p)
			}
		}
		found += "; server sandbox active: " + listOrNone(active)
		if len(off) > 0 {
			found += "; available, not set: " + strings.Join(off, ", ")
		}
		if len(missing) > 0 {
			found += "; not in this systemd: " + strings.Join(missing, ", ")
		}
	}
	if !enforced {
		return warn(name, found, "the server units' ports are then fenced only by left4me's port plan; systemd 249+ with +BPF_FRAMEWORK (Debian 13's 257) enforces SocketBindAllow=")
	}
	return ok(name, found)
}

func listOrNone(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	return strings.Join(l, ", ")
}

// systemdMajor returns the leading number of a Version like "252.39-1~deb12u2".
func systemdMajor(v string) int {
	n, _ := strconv.Atoi(leadingDigits(v))
	return n
}

// settingActive reports whether a sandbox property is switched on: a
// string other than "no"/"" (PrivatePIDs, ProtectHostname, ...Ex), true,
// or RestrictFileSystems' (bas) with a non-empty list.
func settingActive(v any) bool {
	switch x := v.(type) {
	case string:
		return x != "" && x != "no"
	case bool:
		return x
	case []any:
		if len(x) == 2 {
			if l, ok := x[1].([]string); ok {
				return len(l) > 0
			}
			if l, ok := x[1].([]any); ok {
				return len(l) > 0
			}
		}
	}
	return false
}

func settingText(v any) string {
	if x, ok := v.([]any); ok && len(x) == 2 {
		allow, _ := x[0].(bool)
		prefix := "~"
		if allow {
			prefix = ""
		}
		return prefix + strings.Trim(fmt.Sprint(x[1]), "[]")
	}
	return str(v)
}

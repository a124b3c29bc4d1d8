// Package deploy holds the host files left4me installs; this test checks
// security properties of its systemd units.
package deploy

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// overlayHelper is the static Go helper, the only program a unit may run
// with full privileges when its environment comes from a file the service
// user writes.
const overlayHelper = "/usr/libexec/left4me/left4me-overlay"

// stateRoot is where every file the service user writes lives.
const stateRoot = "/var/lib/left4me/"

// TestPrivilegedCommandsIgnoreServiceUserEnvironment: systemd hands the
// variables of every EnvironmentFile= to every command of the unit, the
// "+" (full privileges) ones included. If such a file is writable by the
// service user, a privileged command that is a dynamically linked program
// would let LD_PRELOAD= or GLIBC_TUNABLES= there run as root.
func TestPrivilegedCommandsIgnoreServiceUserEnvironment(t *testing.T) {
	units, err := filepath.Glob("systemd/*.service")
	if err != nil || len(units) == 0 {
		t.Fatalf("no units found: %v", err)
	}
	for _, unit := range units {
		f, err := os.Open(unit)
		if err != nil {
			t.Fatal(err)
		}
		var userEnv []string
		type cmd struct{ line, prog string }
		var privileged []cmd
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			key, val, ok := strings.Cut(line, "=")
			if !ok || strings.HasPrefix(line, "#") {
				continue
			}
			switch {
			case key == "EnvironmentFile":
				if strings.HasPrefix(strings.TrimPrefix(val, "-"), stateRoot) {
					userEnv = append(userEnv, val)
				}
			case strings.HasPrefix(key, "Exec"):
				prefix := val[:len(val)-len(strings.TrimLeft(val, "-@:+!|"))]
				if strings.ContainsAny(prefix, "+!") {
					prog, _, _ := strings.Cut(strings.TrimLeft(val, "-@:+!|"), " ")
					privileged = append(privileged, cmd{line, prog})
				}
			}
		}
		f.Close()
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
		if len(userEnv) == 0 {
			continue
		}
		for _, c := range privileged {
			if c.prog != overlayHelper {
				t.Errorf("%s: %q runs %s with full privileges while EnvironmentFile=%s (written by the service user) sets its environment; only the static %s may",
					unit, c.line, c.prog, userEnv[0], overlayHelper)
			}
		}
	}
}

// TestSysctlPinsProtectedLinks: the overlay helper's safety against a
// root-owned setuid file hard-linked into a layer rests on protected hard
// links; the sysctl file must not leave it to the distribution's default.
func TestSysctlPinsProtectedLinks(t *testing.T) {
	data, err := os.ReadFile("sysctl.d/60-left4me.conf")
	if err != nil {
		t.Fatal(err)
	}
	set := map[string]string{}
	for line := range strings.Lines(string(data)) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";") {
			continue
		}
		k, v, _ := strings.Cut(line, "=")
		set[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	for _, k := range []string{"fs.protected_hardlinks", "fs.protected_symlinks"} {
		if set[k] != "1" {
			t.Errorf("%s = %q in sysctl.d/60-left4me.conf, want 1", k, set[k])
		}
	}
}

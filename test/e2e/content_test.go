package e2e

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/steamcmd"
)

// The content pipeline's checks: a script layer and a game update, each
// through the CLI with the systemd sandbox, as the panel runs them.
const (
	builtLayer  = "e2e-built" // the script layer built in left4me-build@
	builtValue  = "built-in-sandbox"
	delta       = "delta" // stacks the built layer; lives through the update
	deltaP      = 27030
	fakeBuildID = "4242" // what the stand-in steamcmd installs
	// fakesteamcmdBin is the stand-in steamcmd, copied in like fakesrcds.
	fakesteamcmdBin = "/usr/local/lib/left4me-e2e/fakesteamcmd"
)

// contentCLI runs the CLI as left4me with the build sandbox forced to
// systemd (host.env does not set it, so it survives the script's sourcing).
func (h *harness) contentCLI(t *testing.T, stdin []byte, args ...string) string {
	t.Helper()
	argv := append([]string{"env", "LEFT4ME_BUILD_SANDBOX=systemd", "sh", "-c", cliScript, "left4me"}, args...)
	out, err := h.c.asUser(h.ctx, "left4me", stdin, argv...)
	if err != nil {
		t.Fatalf("left4me %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// contentChecks: issue 5's pipeline through the real units.
func (h *harness) contentChecks(t *testing.T) {
	h.check(t, "content/script-layer-built-in-sandbox", func(t *testing.T) {
		// The script overrides the seeded layer's cfg and records where it
		// ran, both in the layer and on its output (the journal).
		script := fmt.Sprintf(`set -eu
mkdir -p left4dead2/cfg
printf '%%s "%%s"\n' %s %s > left4dead2/cfg/e2e_layer.cfg
echo "e2e-build cgroup: $(cat /proc/self/cgroup)"
{
cat /proc/self/cgroup
test -e %s/instances && echo state-root-visible || echo state-root-hidden
test -e /steam && echo steam-visible || echo steam-hidden
} > sandbox.txt
`, layerCvar, builtValue, stateRoot)
		h.contentCLI(t, []byte(script), "overlay", "create-script", builtLayer, "--script", "-")
		start := time.Now()
		out := h.contentCLI(t, nil, "overlay", "build", builtLayer)
		h.measure("script layer build in left4me-build@ (CLI)", ms(time.Since(start)))
		m := regexp.MustCompile(`published ` + builtLayer + ` generation (\S+)`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no published generation in the CLI output:\n%s", out)
		}
		gen := m[1]
		t.Logf("published %s generation %s", builtLayer, gen)
		// The script's output reached the CLI through the unit's journal.
		if !inUnit("left4me-build@build-").MatchString(out) {
			t.Errorf("the CLI did not show the script running in a left4me-build@ unit:\n%s", out)
		}
		genDir := fmt.Sprintf("%s/overlays/%s/%s", stateRoot, builtLayer, gen)
		b, err := os.ReadFile(h.c.path(genDir + "/sandbox.txt"))
		if err != nil {
			t.Fatalf("published generation: %v", err)
		}
		if !strings.Contains(string(b), "left4me-build@build-") {
			t.Errorf("the script's cgroup is not a left4me-build@ unit:\n%s", b)
		}
		for _, want := range []string{"state-root-hidden", "steam-hidden"} {
			if !strings.Contains(string(b), want) {
				t.Errorf("sandbox probes lack %s:\n%s", want, b)
			}
		}
		// Published read-only and readable by everyone (srcds runs with a
		// private umask).
		err = filepath.WalkDir(h.c.path(genDir), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			fi, err := d.Info()
			if err != nil {
				return err
			}
			perm := fi.Mode().Perm()
			want := fs.FileMode(0o444)
			if d.IsDir() {
				want = 0o555
			}
			if perm&want != want || perm&0o222 != 0 {
				t.Errorf("%s: mode %v, want world-readable and read-only", strings.TrimPrefix(p, h.c.path(stateRoot)), perm)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// An instance stacking it (above the seeded layer) runs its cfg.
		if _, err := h.c.cli(h.ctx, serverCfg(delta), "instance", "create", delta, "--owner", adminUser,
			"--port", fmt.Sprint(deltaP), "--layer", builtLayer, "--layer", layerID, "--cfg", "-"); err != nil {
			t.Fatalf("left4me instance create %s: %v", delta, err)
		}
		h.cliOK(t, "instance", "start", delta)
		h.mustMounted(t, delta, true)
		if got := h.rconCvar(t, deltaP, h.rconPassword(t, delta), layerCvar); got != builtValue {
			t.Fatalf("RCON %s = %q, want %q (set only by the built layer)", layerCvar, got, builtValue)
		}
	})

	h.check(t, "content/install-through-sandbox", func(t *testing.T) {
		// The stand-in takes steamcmd's place where the shipped host.env
		// says it lives (LEFT4ME_STEAMCMD=ROOT/steam/steamcmd.sh): the CLI
		// finds it there, and the unit sees steam/ at /steam.
		wrapper := fmt.Sprintf(`#!/bin/sh
# e2e stand-in for Valve's steamcmd.sh
echo "e2e-steamcmd cgroup: $(cat /proc/self/cgroup)"
touch /steam/.e2e-self-update 2>/dev/null && echo steam-writable || echo steam-read-only
test -e %s/instances && echo state-root-visible || echo state-root-hidden
FAKESTEAMCMD_BUILDID=%s exec %s "$@"
`, stateRoot, fakeBuildID, fakesteamcmdBin)
		steamSh := stateRoot + "/steam/" + steamcmd.Script
		if out, err := h.c.asUser(h.ctx, "left4me", []byte(wrapper), "sh", "-c", `cat > "$1" && chmod 0755 "$1"`, "sh", steamSh); err != nil {
			t.Fatalf("write %s: %v\n%s", steamSh, err, out)
		}
		// delta runs on the seeded installation.
		h.mustState(t, delta, "active")
		buildFile := mergedDir(delta) + "/left4dead2/build-" + fakeBuildID + ".txt"
		if h.guestExists(t, h.inUnitNS(t, delta, buildFile)) {
			t.Fatalf("%s exists before the update", buildFile)
		}

		start := time.Now()
		out := h.contentCLI(t, nil, "install")
		h.measure("install update through left4me-steamcmd@ (CLI, stand-in steamcmd)", ms(time.Since(start)))
		m := regexp.MustCompile(`installed build (\d+) as generation (\S+)`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no installed generation in the CLI output:\n%s", out)
		}
		if m[1] != fakeBuildID {
			t.Fatalf("installed build %s, want %s", m[1], fakeBuildID)
		}
		gen := m[2]
		t.Logf("installed build %s as generation %s", m[1], gen)
		if !inUnit("left4me-steamcmd@install-").MatchString(out) {
			t.Errorf("the CLI did not show steamcmd running in a left4me-steamcmd@ unit:\n%s", out)
		}
		for _, want := range []string{"steam-writable", "state-root-hidden"} {
			if !strings.Contains(out, want) {
				t.Errorf("steamcmd sandbox probes lack %s:\n%s", want, out)
			}
		}
		genDir := h.c.path(stateRoot + "/installations/" + gen)
		if id, err := steamcmd.ReadBuildID(genDir); err != nil || id != fakeBuildID {
			t.Fatalf("new generation's app manifest: buildid %q (%v), want %s", id, err, fakeBuildID)
		}
		if id, err := steamcmd.ReadBuildID(h.c.path(stateRoot + "/installations/" + installGen)); err != nil || id == fakeBuildID {
			t.Fatalf("the seeded generation's manifest changed: buildid %q (%v)", id, err)
		}
		list := h.contentCLI(t, nil, "install", "--list")
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(gen) + `\s+` + fakeBuildID + `\s+yes`).MatchString(list) {
			t.Errorf("install --list does not show %s (build %s) as newest:\n%s", gen, fakeBuildID, list)
		}

		// rule 12: the running instance keeps what it mounted...
		h.mustState(t, delta, "active")
		h.mustMounted(t, delta, true)
		if h.guestExists(t, h.inUnitNS(t, delta, buildFile)) {
			t.Fatalf("the running instance sees the new generation's %s before a restart", buildFile)
		}
		h.a2s(t, deltaP)
		// ...and moves to the new generation when it restarts.
		h.cliOK(t, "instance", "restart", delta)
		h.mustMounted(t, delta, true)
		if !h.guestExists(t, h.inUnitNS(t, delta, buildFile)) {
			t.Fatalf("after restart %s is missing: the instance did not move to generation %s", buildFile, gen)
		}
		env, err := os.ReadFile(h.c.path(stateRoot + "/instances/" + delta + "/instance.env"))
		if err != nil || !strings.Contains(string(env), "/installations/"+gen) {
			t.Errorf("instance.env after restart does not name generation %s (%v):\n%s", gen, err, env)
		}
		if got := h.rconCvar(t, deltaP, h.rconPassword(t, delta), layerCvar); got != builtValue {
			t.Errorf("after the update RCON %s = %q, want %q", layerCvar, got, builtValue)
		}
		h.cliOK(t, "instance", "stop", delta)
	})
}

// inUnit matches the unified-hierarchy line of /proc/self/cgroup ("0::/…",
// one line of several on a hybrid host) naming a unit that starts with
// prefix.
func inUnit(prefix string) *regexp.Regexp {
	return regexp.MustCompile(`(?m)(^|cgroup: )0::/\S*/` + regexp.QuoteMeta(prefix) + `[a-z0-9_-]+\.service$`)
}

// guestExists reports whether path exists in the guest's PID 1 mount
// namespace; h.inUnitNS names a path in an instance unit's namespace, where
// its overlay is mounted.
func (h *harness) guestExists(t *testing.T, path string) bool {
	t.Helper()
	out, err := h.c.exec(h.ctx, nil, "sh", "-c", `test -e "$1" && echo yes || echo no`, "sh", path)
	if err != nil {
		t.Fatalf("test -e %s: %v", path, err)
	}
	return strings.TrimSpace(out) == "yes"
}

// inUnitNS returns the guest path under which path is seen in the mount
// namespace of instance name's main process (docs/lifecycle.md rule 2: the
// overlay is mounted there only): /proc/MAINPID/root/PATH.
func (h *harness) inUnitNS(t *testing.T, name, path string) string {
	t.Helper()
	pid := h.prop(t, unitName(name), "MainPID")
	if pid == "" || pid == "0" {
		t.Fatalf("%s has no main process", unitName(name))
	}
	return "/proc/" + pid + "/root" + path
}

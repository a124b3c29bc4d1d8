package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/fakesrcds"
	"github.com/left4me/left4me/internal/srcds"
)

// Guest paths (the shipped units name the default state root).
const (
	stateRoot = "/var/lib/left4me"
	// installGen sorts before the generations left4me publishes
	// ("000001-<time>…"), so an update through the CLI becomes the newest.
	installGen   = "000000-e2e"
	layerID      = "e2e-cfg"
	layerGen     = "1"
	layerCvar    = "sv_e2e_layer_marker"
	layerValue   = "set-by-overlay-layer"
	fakesrcdsBin = "/usr/local/lib/left4me-e2e/fakesrcds"
	adminUser    = "admin"
)

func runtimeDir(name string) string { return stateRoot + "/runtime/" + name }
func mergedDir(name string) string  { return runtimeDir(name) + "/merged" }
func unitName(name string) string   { return "left4me-server@" + name + ".service" }

// harness is one suite's run: the booted guest (replaced by reboots) and
// the shared results.
type harness struct {
	ctx   context.Context
	c     *container
	res   *results
	repo  string
	suite string // the guest's Debian suite, e.g. "bookworm"
}

// check runs one named check as a subtest and records its outcome under
// the suite's name.
func (h *harness) check(t *testing.T, name string, f func(t *testing.T)) {
	t.Helper()
	t.Run(name, func(t *testing.T) {
		defer func() { h.res.outcome(h.suite+"/"+name, t.Failed(), t.Skipped()) }()
		f(t)
	})
}

// measure records a measurement under the suite's name.
func (h *harness) measure(name, value string) { h.res.measure(h.suite+": "+name, value) }

// TestLifecycle boots a Debian guest of each supported release with
// systemd, installs left4me with its installer and checks every lifecycle
// rule of docs/lifecycle.md through the shipped units, driving instances as
// user left4me through the CLI. Every check runs on every suite.
func TestLifecycle(t *testing.T) {
	if err := canRun(); err != nil {
		t.Skip(err)
	}
	repo := repoRoot(t)
	res := newResults(filepath.Join(repo, "artifacts", "e2e-results.txt"))
	t.Cleanup(func() {
		if err := res.write(); err != nil {
			t.Errorf("write results: %v", err)
		} else {
			t.Logf("results written to %s", res.path)
		}
	})
	sweepStaleRuns(t)
	work := t.TempDir()
	for i, suite := range guestSuites() {
		t.Run(suite, func(t *testing.T) {
			h := &harness{repo: repo, res: res, suite: suite}
			h.run(t, work, i == 0)
		})
	}
}

// run boots one suite's guest and runs every check in it.
func (h *harness) run(t *testing.T, work string, build bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	h.ctx = ctx
	wall := time.Now()
	defer func() { h.measure("harness wall time", time.Since(wall).Round(time.Second).String()) }()

	// Build and install.
	step := time.Now()
	cache := cachedRootfs(ctx, t, h.suite)
	h.measure("rootfs cache", cache)
	root := copyRootfs(ctx, t, cache)
	buildInstall(ctx, t, h.repo, work, root)
	t.Logf("build + install into the %s rootfs: %s", h.suite, time.Since(step).Round(time.Millisecond))

	// Boot.
	step = time.Now()
	console := filepath.Join(h.repo, "artifacts", "e2e-console-"+h.suite+".log")
	if err := os.MkdirAll(filepath.Dir(console), 0o755); err != nil {
		t.Fatal(err)
	}
	_ = os.Remove(console)
	c, err := boot(ctx, root, console)
	if err != nil {
		t.Fatalf("boot guest: %v", err)
	}
	h.c = c
	defer func() { h.c.shutdown() }()
	t.Logf("guest booted in %s (console: %s)", time.Since(step).Round(time.Millisecond), console)
	if out, err := h.c.exec(ctx, nil, "systemctl", "--version"); err == nil {
		h.measure("systemd", strings.SplitN(out, "\n", 2)[0])
	}

	guestNetwork(t, h)
	postInstall(t, h)
	seedContent(t, h)

	if only := os.Getenv("LEFT4ME_E2E_ONLY"); only != "" {
		// For working on one group of checks: LEFT4ME_E2E_ONLY=scale.
		h.runOnly(t, only)
		return
	}
	h.startChecks(t)
	h.journalChecks(t)
	h.unitChecks(t)
	h.stopChecks(t)
	h.helperChecks(t)
	h.resetDeleteChecks(t)
	h.layerChecks(t)
	h.crashChecks(t)
	h.portChecks(t)
	h.polkitChecks(t)
	h.webChecks(t)
	h.metricsChecks(t)
	h.eventChecks(t)
	h.watchdogChecks(t)
	h.cloneChecks(t)
	h.backupChecks(t)
	h.panelCloneChecks(t)
	h.rconChecks(t)
	h.banChecks(t)
	h.buildChecks(t)
	h.sandboxNetworkCheck(t)
	h.sandboxTimeLimitCheck(t)
	h.contentChecks(t)
	h.stopFailureChecks(t)
	h.cycleChecks(t)
	h.scaleChecks(t)
	h.doctorChecks(t)
	h.rebootChecks(t)
	h.finalJournalCheck(t)
	// Last: it upgrades, removes and purges the package.
	h.debChecks(t)
}

// runOnly runs the named groups of checks (comma-separated).
func (h *harness) runOnly(t *testing.T, only string) {
	groups := map[string]func(*testing.T){
		"start":       h.startChecks,
		"stop":        h.stopChecks,
		"scale":       h.scaleChecks,
		"cycles":      h.cycleChecks,
		"helper":      h.helperChecks,
		"stopfailure": func(t *testing.T) { h.create(t, alpha, alphaP); h.stopFailureChecks(t) },
		"crash":       h.crashChecks,
		"ports":       h.portChecks,
		"events":      h.eventChecks,
		"journal":     h.finalJournalCheck,
		"doctor":      h.doctorChecks,
		"exposure":    h.exposureChecks,
		"web":         func(t *testing.T) { h.create(t, alpha, alphaP); h.webChecks(t) },
		"metrics":     func(t *testing.T) { h.create(t, alpha, alphaP); h.metricsChecks(t) },
		"watchdog":    h.watchdogChecks,
		"clone":       h.cloneChecks,
		"backup":      h.backupChecks,
		"panelclone":  h.panelCloneChecks,
		"bans":        h.banChecks,
		"reboot":      func(t *testing.T) { h.create(t, alpha, alphaP); h.rebootChecks(t) },
		"deb":         h.debChecks, // upgrades, removes and purges: name it last
	}
	for _, g := range strings.Split(only, ",") {
		f, ok := groups[g]
		if !ok {
			t.Fatalf("LEFT4ME_E2E_ONLY: unknown group %q", g)
		}
		f(t)
	}
}

// repoRoot is the module root (two levels up from test/e2e).
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		t.Fatalf("module root not found at %s: %v", dir, err)
	}
	return dir
}

// goTool finds the go command on PATH ("go test" puts the toolchain that
// runs the test first on its PATH); "go" when it is not there.
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "go"
}

// buildInstall builds fakesrcds and fakesteamcmd and puts the project's
// Debian packages into root (or, with LEFT4ME_E2E_INSTALL=make, runs
// "make install DESTDIR=root").
func buildInstall(ctx context.Context, t *testing.T, repo, work, root string) {
	t.Helper()
	env := append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64",
		"PATH="+filepath.Dir(goTool())+string(os.PathListSeparator)+os.Getenv("PATH"))
	run := func(name string, args ...string) {
		t.Helper()
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Dir, cmd.Env = repo, env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
	}
	run(goTool(), "build", "-o", work+"/", "./cmd/fakesrcds", "./cmd/fakesteamcmd")
	if installWithMake() {
		run("make", "install", "DESTDIR="+root, "PREFIX=/usr", "BUILDDIR="+filepath.Join(work, "bin"), "GO="+goTool())
	} else {
		// The packages; postInstall installs the first with apt-get.
		buildDebs(ctx, t, repo, work, root, env)
	}
	for src, guest := range map[string]string{"fakesrcds": fakesrcdsBin, "fakesteamcmd": fakesteamcmdBin} {
		dst := filepath.Join(root, guest)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(work, src))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

// guestLANAddr is the guest's one non-loopback address: like a real host
// it has an address srcds may send its UDP logs to, which the panel
// announces (srcds drops log destinations in 127.0.0.0/8).
const guestLANAddr = "10.77.0.1"

// guestNetwork gives the guest (private network, loopback only) that
// address through systemd-networkd, so it survives the reboot checks. It
// goes on lo: a dummy or veth link would need kernel modules the container
// cannot load.
func guestNetwork(t *testing.T, h *harness) {
	t.Helper()
	conf := "[Match]\nName=lo\n\n[Network]\nAddress=" + guestLANAddr + "/32\n"
	if err := os.WriteFile(h.c.path("/etc/systemd/network/10-e2e-lan.network"), []byte(conf), 0o644); err != nil {
		t.Fatalf("guest network: %v", err)
	}
	for _, argv := range [][]string{
		// Nothing waits for a link to be "online".
		{"systemctl", "mask", "systemd-networkd-wait-online.service"},
		{"systemctl", "enable", "--now", "systemd-networkd.service"},
	} {
		if out, err := h.c.exec(h.ctx, nil, argv...); err != nil {
			t.Fatalf("guest network: %v\n%s", err, out)
		}
	}
	if err := within(h.ctx, 15*time.Second, "guest LAN address", func() (bool, error) {
		out, err := h.c.exec(h.ctx, nil, "cat", "/proc/net/fib_trie")
		return strings.Contains(out, guestLANAddr), err
	}); err != nil {
		t.Fatal(err)
	}
}

// postInstall installs the package with apt-get, whose postinst runs the
// README's post-install step and starts the panel, and creates the first
// account; with LEFT4ME_E2E_INSTALL=make it runs that step by hand.
func postInstall(t *testing.T, h *harness) {
	t.Helper()
	if !installWithMake() {
		out := h.installDeb(t, "first")
		t.Logf("apt-get install ./left4me_*.deb:\n%s", lastLines(out, 8))
		out, err := h.c.asUser(h.ctx, "left4me", nil, "env", "LEFT4ME_ADMIN_PASSWORD="+adminPassword,
			"sh", "-c", cliScript, "left4me", "user", "create", adminUser, "--admin")
		if err != nil {
			t.Fatalf("create admin user: %v", err)
		}
		t.Logf("left4me user create: %s", strings.TrimSpace(out))
		return
	}
	must := func(argv ...string) string {
		t.Helper()
		out, err := h.c.exec(h.ctx, nil, argv...)
		if err != nil {
			t.Fatalf("post-install: %v", err)
		}
		return out
	}
	must("systemd-sysusers")
	must("systemd-tmpfiles", "--create")
	// A container may not set host sysctls (read-only /proc/sys): log only.
	if out, err := h.c.exec(h.ctx, nil, "/usr/lib/systemd/systemd-sysctl"); err != nil {
		t.Logf("post-install: systemd-sysctl in the container: %v (expected: /proc/sys is read-only here)", err)
	} else if s := strings.TrimSpace(out); s != "" {
		t.Logf("post-install: systemd-sysctl: %s", s)
	}
	must("systemctl", "daemon-reload")
	// The first account, before the units start: this also creates the
	// database, which the panel and the boot oneshot would otherwise both
	// try to create at once.
	out, err := h.c.asUser(h.ctx, "left4me", nil, "env", "LEFT4ME_ADMIN_PASSWORD="+adminPassword,
		"sh", "-c", cliScript, "left4me", "user", "create", adminUser, "--admin")
	if err != nil {
		t.Fatalf("create admin user: %v", err)
	}
	t.Logf("left4me user create: %s", strings.TrimSpace(out))
	must("systemctl", "enable", "--now", "left4me-web.service", "left4me-autostart.service")
}

// seedContent writes a stand-in installation (fakesrcds's documented
// -write-install) and an overlay layer whose cfg sets a cvar, as left4me.
func seedContent(t *testing.T, h *harness) {
	t.Helper()
	if out, err := h.c.asUser(h.ctx, "left4me", nil, fakesrcdsBin, "-write-install", stateRoot+"/installations/"+installGen); err != nil {
		t.Fatalf("write stand-in installation: %v\n%s", err, out)
	}
	cfg := fmt.Sprintf("// e2e layer: this cvar is set nowhere else\n%s \"%s\"\n", layerCvar, layerValue)
	dir := fmt.Sprintf("%s/overlays/%s/%s/left4dead2/cfg", stateRoot, layerID, layerGen)
	if out, err := h.c.asUser(h.ctx, "left4me", []byte(cfg), "sh", "-c", `mkdir -p "$1" && cat > "$1/e2e_layer.cfg"`, "sh", dir); err != nil {
		t.Fatalf("write overlay layer: %v\n%s", err, out)
	}
}

// serverCfg is the operator's config of an instance: a hostname and an exec
// of the layer's cfg (so the cvar comes only from the layer).
func serverCfg(name string) []byte {
	return []byte(fmt.Sprintf("hostname \"left4me e2e %s\"\nexec e2e_layer.cfg\n", name))
}

// create creates an instance as left4me through the CLI.
func (h *harness) create(t *testing.T, name string, port int, extra ...string) {
	t.Helper()
	args := []string{"instance", "create", name, "--owner", adminUser, "--port", strconv.Itoa(port),
		"--layer", layerID, "--cfg", "-"}
	if len(extra) > 0 {
		args = append(append(args, "--"), extra...)
	}
	if out, err := h.c.cli(h.ctx, serverCfg(name), args...); err != nil {
		t.Fatalf("left4me instance create %s: %v", name, err)
	} else {
		t.Logf("%s", strings.TrimSpace(out))
	}
}

// cliOK runs the CLI as left4me and fails the check on error.
func (h *harness) cliOK(t *testing.T, args ...string) string {
	t.Helper()
	out, err := h.c.cli(h.ctx, nil, args...)
	if err != nil {
		t.Fatalf("left4me %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// prop reads one property of a unit.
func (h *harness) prop(t *testing.T, unit, name string) string {
	t.Helper()
	out, err := h.c.exec(h.ctx, nil, "systemctl", "show", "-p", name, "--value", unit)
	if err != nil {
		t.Fatalf("systemctl show %s: %v", unit, err)
	}
	return strings.TrimSpace(out)
}

// mustMounted checks where an instance's overlay is mounted. want: in the
// mount namespace of the unit's main process; never: in PID 1's namespace
// or anywhere else (docs/lifecycle.md rule 2). !want: in no namespace of the
// guest at all.
func (h *harness) mustMounted(t *testing.T, name string, want bool) {
	t.Helper()
	inPID1, err := h.c.mounted(mergedDir(name))
	if err != nil {
		t.Fatal(err)
	}
	if inPID1 {
		t.Fatalf("%s is mounted in PID 1's namespace (rule 2: only in the unit's own)", mergedDir(name))
	}
	held := h.overlayHolders(t)[name]
	if !want {
		if len(held) > 0 {
			t.Fatalf("the overlay of %s is still mounted in the namespace of process(es) %v", name, held)
		}
		return
	}
	main := h.prop(t, unitName(name), "MainPID")
	if !slices.Contains(held, main) {
		st, _ := h.c.exec(h.ctx, nil, "systemctl", "status", "--no-pager", "-n", "30", unitName(name))
		t.Fatalf("the overlay of %s is not mounted in the main process's (%s) namespace; holders: %v\n%s\n%s", name, main, held, st, h.unitLog(name))
	}
}

// overlayHolders maps each instance whose overlay is mounted somewhere in
// the guest to the guest PIDs whose mount table has it.
func (h *harness) overlayHolders(t *testing.T) map[string][]string {
	t.Helper()
	out, err := h.c.exec(h.ctx, nil, "sh", "-c",
		`cd /proc && for p in [0-9]*; do sed -n "s/.* - overlay left4me:\([a-z0-9_-]*\) .*/$p \1/p" "$p/mountinfo" 2>/dev/null; done; true`)
	if err != nil {
		t.Fatalf("scan the guest's mount tables: %v", err)
	}
	held := map[string][]string{}
	for _, l := range strings.Split(out, "\n") {
		pid, name, ok := strings.Cut(strings.TrimSpace(l), " ")
		if ok {
			held[name] = append(held[name], pid)
		}
	}
	return held
}

func (h *harness) mustState(t *testing.T, name, want string) {
	t.Helper()
	if got := h.prop(t, unitName(name), "ActiveState"); got != want {
		t.Fatalf("%s ActiveState = %q, want %q\n%s", unitName(name), got, want, h.unitLog(name))
	}
}

// unitLog returns the tail of an instance's logs (both journals) for failure messages.
func (h *harness) unitLog(name string) string {
	a, _ := h.c.exec(h.ctx, nil, "journalctl", "--no-pager", "-n", "15", "-u", unitName(name))
	b, _ := h.c.exec(h.ctx, nil, "journalctl", "--namespace=left4me", "--no-pager", "-n", "15", "-u", unitName(name))
	return "--- system journal:\n" + a + "--- left4me journal:\n" + b
}

// rconPassword reads the password staged into the instance's launch cfg
// (left4me_launch.cfg, run once at launch), from the host side of the rootfs.
func (h *harness) rconPassword(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(h.c.path(runtimeDir(name) + "/upper/left4dead2/cfg/left4me_launch.cfg"))
	if err != nil {
		t.Fatalf("read staged launch cfg: %v", err)
	}
	re := regexp.MustCompile(`(?m)^\s*rcon_password\s+"?([^"\s]+)"?`)
	m := re.FindAllStringSubmatch(string(b), -1)
	if len(m) == 0 {
		t.Fatalf("no rcon_password in the staged launch cfg:\n%s", b)
	}
	return m[len(m)-1][1]
}

// a2s queries an instance from inside the guest's network namespace on the
// guest's LAN address (the stand-in, like srcds, ignores A2S from
// loopback), retrying while the server comes up.
func (h *harness) a2s(t *testing.T, port int) srcds.Info {
	t.Helper()
	var info srcds.Info
	err := within(h.ctx, 15*time.Second, "A2S_INFO answer", func() (bool, error) {
		err := h.c.inNetNS(func() error {
			ctx, cancel := context.WithTimeout(h.ctx, time.Second)
			defer cancel()
			var err error
			info, _, err = srcds.Query(ctx, fmt.Sprintf("%s:%d", guestLANAddr, port))
			return err
		})
		return err == nil, err
	})
	if err != nil {
		t.Fatal(err)
	}
	return info
}

// rconCvar asks an instance for a cvar's value over RCON.
func (h *harness) rconCvar(t *testing.T, port int, password, cvar string) string {
	t.Helper()
	var value string
	err := within(h.ctx, 15*time.Second, "RCON answer", func() (bool, error) {
		err := h.c.inNetNS(func() error {
			ctx, cancel := context.WithTimeout(h.ctx, 2*time.Second)
			defer cancel()
			rc, err := srcds.Dial(ctx, fmt.Sprintf("127.0.0.1:%d", port), password)
			if err != nil {
				return err
			}
			defer rc.Close()
			reply, err := rc.Exec(ctx, cvar)
			if err != nil {
				return err
			}
			cv, err := fakesrcds.ParseCvar(reply)
			if err != nil {
				return err
			}
			value = cv.Value
			return nil
		})
		return err == nil, err
	})
	if err != nil {
		t.Fatal(err)
	}
	return value
}

// journal returns every journal of the guest (all namespaces) as text.
func (h *harness) journal(t *testing.T, args ...string) string {
	t.Helper()
	out, err := h.c.exec(h.ctx, nil, append([]string{"journalctl", "--namespace=*", "--no-pager", "-q"}, args...)...)
	if err != nil {
		t.Fatalf("journalctl: %v", err)
	}
	return out
}

var (
	ebusyRE  = regexp.MustCompile(`(?i)\bEBUSY\b|resource busy`)
	eaccesRE = regexp.MustCompile(`(?i)\bEACCES\b|permission denied`)
)

func matchingLines(re *regexp.Regexp, text string) []string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if re.MatchString(l) {
			out = append(out, l)
		}
	}
	return out
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }

package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/overlay"
)

// helperBin is the left4me-overlay binary built once for all tests, linked
// to read its state root from testConfig (writeConfig).
var helperBin, testConfig string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "left4me-overlay-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	helperBin = filepath.Join(dir, "left4me-overlay")
	testConfig = filepath.Join(dir, "host.env")
	out, err := exec.Command("go", "build", "-buildvcs=false", "-ldflags=-X main.configPath="+testConfig, "-o", helperBin, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	code           int
	stdout, stderr string
}

// writeConfig writes the helper's settings file with LEFT4ME_ROOT=root, as
// /etc/left4me/host.env does on a host.
func writeConfig(t testing.TB, root string) {
	t.Helper()
	if err := os.WriteFile(testConfig, []byte("# test settings\nLEFT4ME_ROOT="+root+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// configFromEnv writes the settings file from env's LEFT4ME_ROOT (the
// helper itself ignores that variable), or removes it.
func configFromEnv(t *testing.T, env []string) {
	t.Helper()
	for _, kv := range env {
		if root, ok := strings.CutPrefix(kv, "LEFT4ME_ROOT="); ok {
			writeConfig(t, root)
			return
		}
	}
	if err := os.Remove(testConfig); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
}

// runHelper runs the binary with exactly env as its environment; a
// LEFT4ME_ROOT there goes into the settings file instead.
func runHelper(t *testing.T, env []string, args ...string) result {
	t.Helper()
	return runHelperWith(t, nil, env, args...)
}

// runHelperWith is runHelper with the process attributes attr.
func runHelperWith(t *testing.T, attr *syscall.SysProcAttr, env []string, args ...string) result {
	t.Helper()
	configFromEnv(t, env)
	cmd := exec.Command(helperBin, args...)
	cmd.Env = env
	cmd.SysProcAttr = attr
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{code, out.String(), errb.String()}
}

const usageLine = "left4me-overlay: usage: left4me-overlay mount|umount NAME\n"

func TestUsage(t *testing.T) {
	for _, args := range [][]string{
		nil, {"mount"}, {"umount"}, {"mount", "a", "b"}, {"mounts", "a"}, {"--help"}, {"MOUNT", "a"}, {"", "a"},
	} {
		r := runHelper(t, []string{"LEFT4ME_ROOT=/nonexistent"}, args...)
		if r.code != 2 || r.stderr != usageLine || r.stdout != "" {
			t.Errorf("args %q: exit %d, stdout %q, stderr %q; want 2 and the usage line", args, r.code, r.stdout, r.stderr)
		}
	}
}

func TestRefusedBeforeTouchingTheRoot(t *testing.T) {
	tests := []struct {
		args []string
		env  []string
		want string
	}{
		{[]string{"mount", "../etc"}, nil, "left4me-overlay: invalid instance name \"../etc\""},
		{[]string{"umount", "A"}, nil, "left4me-overlay: invalid instance name"},
		{[]string{"mount", strings.Repeat("a", 65)}, nil, "left4me-overlay: invalid instance name"},
		{[]string{"mount", "a"}, []string{"LEFT4ME_ROOT=relative/root"}, "host.env: state root \"relative/root\": must be an absolute path"},
		{[]string{"mount", "a"}, []string{"LEFT4ME_ROOT=/nonexistent/left4me"}, "left4me-overlay: state root /nonexistent/left4me"},
	}
	for _, tt := range tests {
		r := runHelper(t, tt.env, tt.args...)
		if r.code != 1 || !strings.Contains(r.stderr, tt.want) || r.stdout != "" {
			t.Errorf("%q: exit %d, stderr %q; want 1 and %q", tt.args, r.code, r.stderr, tt.want)
		}
	}
}

// newRoot builds a state root with instance "srv": a base installation,
// one content layer, runtime dirs and instance.env.
func newRoot(t testing.TB) layout.Root {
	t.Helper()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	r, err := layout.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Create(0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{r.Installation("1"), r.Overlay("sm", "2"), r.Upper("srv"), r.Work("srv"), r.Merged("srv"), r.Instance("srv")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(r.Installation("1"), "srcds_run"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeEnv(t, r, r.Overlay("sm", "2"), r.Installation("1"))
	return r
}

func writeEnv(t testing.TB, r layout.Root, lower ...string) {
	t.Helper()
	env := overlay.Env{LowerDirs: lower, Port: 27015, Args: []string{"+map", "c1m1_hotel"}}
	if err := overlay.WriteEnvFile(r.InstanceEnv("srv"), env, -1, -1); err != nil {
		t.Fatal(err)
	}
}

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: the helper accepts only a state root owned by root or the service user")
	}
}

func TestPrintOnly(t *testing.T) {
	needRoot(t)
	r := newRoot(t)
	env := []string{
		"LEFT4ME_ROOT=" + r.String(),
		"LEFT4ME_OVERLAY_PRINT_ONLY=1",
		// Ignored: the helper reads the layers from instance.env only.
		"L4D2_LOWERDIRS=/etc",
	}
	got := runHelper(t, env, "mount", "srv")
	want := fmt.Sprintf("mount overlay lowerdir=%s:%s upperdir=%s workdir=%s target=%s\n",
		r.Overlay("sm", "2"), r.Installation("1"), r.Upper("srv"), r.Work("srv"), r.Merged("srv"))
	if got.code != 0 || got.stdout != want || got.stderr != "" {
		t.Errorf("mount PRINT_ONLY: exit %d\nstdout %q\nwant   %q\nstderr %q", got.code, got.stdout, want, got.stderr)
	}
	if ok, _ := overlay.IsMounted(r.Merged("srv")); ok {
		t.Fatal("PRINT_ONLY mounted")
	}
	got = runHelper(t, env, "umount", "srv")
	want = fmt.Sprintf("umount target=%s remove=%s/work\n", r.Merged("srv"), r.Work("srv"))
	if got.code != 0 || got.stdout != want || got.stderr != "" {
		t.Errorf("umount PRINT_ONLY: exit %d\nstdout %q\nwant   %q\nstderr %q", got.code, got.stdout, want, got.stderr)
	}
	// PRINT_ONLY validates first.
	writeEnv(t, r, r.Overlay("sm", "2"))
	got = runHelper(t, env, "mount", "srv")
	if got.code != 1 || got.stdout != "" || !strings.Contains(got.stderr, "missing base layer") {
		t.Errorf("PRINT_ONLY with a bad stack: exit %d, stdout %q, stderr %q", got.code, got.stdout, got.stderr)
	}
}

func TestRefusals(t *testing.T) {
	needRoot(t)
	tests := []struct {
		name  string
		setup func(t *testing.T, r layout.Root)
		verb  string
		want  string
	}{
		{"missing base layer", func(t *testing.T, r layout.Root) { writeEnv(t, r, r.Overlay("sm", "2")) }, "mount", "missing base layer"},
		{"escaping symlink layer", func(t *testing.T, r layout.Root) {
			l := filepath.Join(r.Overlays(), "evil")
			if err := os.Symlink("/etc", l); err != nil {
				t.Fatal(err)
			}
			writeEnv(t, r, l, r.Installation("1"))
		}, "mount", "evil does not exist, or leads (through a symlink) outside"},
		{"symlinked merged", func(t *testing.T, r layout.Root) {
			if err := os.Remove(r.Merged("srv")); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(t.TempDir(), r.Merged("srv")); err != nil {
				t.Fatal(err)
			}
		}, "umount", "merged is a symlink"},
		{"root owned by another user", func(t *testing.T, r layout.Root) {
			if err := os.Chown(r.String(), 4242, 4242); err != nil {
				t.Fatal(err)
			}
		}, "mount", "is owned by uid 4242: it must be owned by root or the service user"},
		{"world-writable root", func(t *testing.T, r layout.Root) {
			if err := os.Chmod(r.String(), 0o777); err != nil {
				t.Fatal(err)
			}
		}, "umount", "world-writable"},
		{"missing instance.env", func(t *testing.T, r layout.Root) {
			if err := os.Remove(r.InstanceEnv("srv")); err != nil {
				t.Fatal(err)
			}
		}, "mount", "instance.env"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRoot(t)
			tt.setup(t, r)
			got := runHelper(t, []string{"LEFT4ME_ROOT=" + r.String()}, tt.verb, "srv")
			if got.code != 1 || !strings.HasPrefix(got.stderr, "left4me-overlay: ") || !strings.Contains(got.stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want 1 and %q", got.code, got.stderr, tt.want)
			}
			if ok, _ := overlay.IsMounted(r.Merged("srv")); ok {
				unix.Unmount(r.Merged("srv"), 0)
				t.Error("refused mount left something mounted")
			}
		})
	}
}

// TestOwnershipAsNormalUser: run as a normal user the helper refuses a state
// root that user owns (not root, not the service user).
func TestOwnershipAsNormalUser(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("needs a non-root user: root owns the temporary root")
	}
	r := newRoot(t)
	got := runHelper(t, []string{"LEFT4ME_ROOT=" + r.String(), "LEFT4ME_OVERLAY_PRINT_ONLY=1"}, "mount", "srv")
	if got.code != 1 || !strings.Contains(got.stderr, "must be owned by root or the service user") {
		t.Errorf("exit %d, stderr %q", got.code, got.stderr)
	}
}

// cgroup2Root returns where the unified cgroup hierarchy is mounted.
func cgroup2Root(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Skip(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		for i, x := range f {
			if x == "-" && i+1 < len(f) && f[i+1] == "cgroup2" {
				return f[4]
			}
		}
	}
	t.Skip("needs a cgroup2 (unified) hierarchy")
	return ""
}

// fakeUnit is a stand-in for a running left4me-server@NAME.service: a cgroup
// named like the unit and a main process in a mount namespace of its own.
type fakeUnit struct {
	cgroup string
	main   *exec.Cmd
}

func startFakeUnit(t *testing.T, name string) *fakeUnit {
	t.Helper()
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("needs unshare (util-linux)")
	}
	parent, err := os.MkdirTemp(cgroup2Root(t), "left4me-test-")
	if err != nil {
		t.Skipf("cannot create a cgroup: %v", err)
	}
	cg := filepath.Join(parent, "left4me-server@"+name+".service")
	if err := os.Mkdir(cg, 0o755); err != nil {
		t.Skipf("cannot create a cgroup: %v", err)
	}
	u := &fakeUnit{cgroup: cg}
	u.main = exec.Command(unshare, "--mount", "--propagation", "private", "sleep", "300")
	u.main.SysProcAttr = u.procAttr(t)
	if err := u.main.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		u.stop()
		os.Remove(cg)
		os.Remove(parent)
	})
	// Wait until the main process has its own namespace.
	for range 200 {
		if same, err := sameMountNS(fmt.Sprintf("/proc/%d/ns/mnt", u.main.Process.Pid), "/proc/self/ns/mnt"); err == nil && !same {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	return u
}

func (u *fakeUnit) procAttr(t *testing.T) *syscall.SysProcAttr {
	fd, err := unix.Open(u.cgroup, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: fd}
}

func (u *fakeUnit) stop() {
	if u.main.ProcessState == nil {
		u.main.Process.Kill()
		u.main.Wait()
	}
}

// runHelper runs the helper inside the fake unit's cgroup, as systemd runs
// ExecStartPost= and ExecStopPost=.
func (u *fakeUnit) runHelper(t *testing.T, env []string, args ...string) result {
	t.Helper()
	return runHelperWith(t, u.procAttr(t), env, args...)
}

func mountedIn(t *testing.T, pid, name string) bool {
	t.Helper()
	b, err := os.ReadFile("/proc/" + pid + "/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Contains(string(b), " overlay "+overlay.MountSource(name)+" ")
}

// TestMountInUnitNamespace: the overlay is mounted in the unit's main
// process's namespace only (docs/lifecycle.md rule 2), "umount" refuses while
// a namespace still holds it, and after the last process is gone it
// succeeds and removes work/work (rule 7).
func TestMountInUnitNamespace(t *testing.T) {
	needRoot(t)
	if _, err := os.Stat(nsenterPath); err != nil {
		t.Skipf("needs %s", nsenterPath)
	}
	r := newRoot(t)
	u := startFakeUnit(t, "srv")
	pid := strconv.Itoa(u.main.Process.Pid)
	env := []string{"LEFT4ME_ROOT=" + r.String(), "MAINPID=" + pid}

	got := u.runHelper(t, env, "mount", "srv")
	if got.code != 0 {
		if strings.Contains(got.stderr, "fsopen") || strings.Contains(got.stderr, "mount(2)") {
			t.Skipf("overlayfs not usable here: %s", got.stderr)
		}
		t.Fatalf("mount: exit %d, stderr %q", got.code, got.stderr)
	}
	t.Logf("mount: %s", strings.TrimSpace(got.stderr))
	if !mountedIn(t, pid, "srv") {
		t.Fatalf("the overlay is not mounted in the main process's namespace")
	}
	if mountedIn(t, "self", "srv") {
		t.Fatalf("the overlay reached the helper's (the host's) namespace")
	}
	if _, err := os.Stat(fmt.Sprintf("/proc/%s/root%s/srcds_run", pid, r.Merged("srv"))); err != nil {
		t.Errorf("srcds_run not visible through merged in the unit's namespace: %v", err)
	}

	// A second mount while the first is alive is refused.
	if got := u.runHelper(t, env, "mount", "srv"); got.code != 1 || !strings.Contains(got.stderr, "still mounted in the mount namespace of process "+pid) {
		t.Errorf("second mount: exit %d, stderr %q; want a refusal naming process %s", got.code, got.stderr, pid)
	}
	// A process of the unit itself that outlived the stop signal does not
	// count: systemd kills it right after ExecStopPost.
	if got := u.runHelper(t, env, "umount", "srv"); got.code != 0 {
		t.Errorf("umount with only the unit's own process left: exit %d, stderr %q", got.code, got.stderr)
	}
	// A process outside the unit in its namespace (an operator's nsenter
	// shell) keeps the overlay alive: loud failure naming it.
	holder := exec.Command(nsenterPath, "-t", pid, "-m", "sleep", "300")
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { holder.Process.Kill(); holder.Wait() })
	hpid := strconv.Itoa(holder.Process.Pid)
	for range 400 {
		if b, err := os.ReadFile("/proc/" + hpid + "/mountinfo"); err == nil && strings.Contains(string(b), " overlay "+overlay.MountSource("srv")+" ") {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	u.stop()
	if got := u.runHelper(t, env, "umount", "srv"); got.code != 1 || !strings.Contains(got.stderr, "still mounted in the mount namespace of process "+hpid) {
		t.Errorf("umount while held from outside the unit: exit %d, stderr %q", got.code, got.stderr)
	}
	holder.Process.Kill()
	holder.Wait()
	got = u.runHelper(t, env, "umount", "srv")
	if got.code != 0 || !strings.Contains(got.stderr, "released") {
		t.Fatalf("umount after the last process: exit %d, stderr %q", got.code, got.stderr)
	}
	if _, err := os.Lstat(filepath.Join(r.Work("srv"), "work")); !os.IsNotExist(err) {
		t.Errorf("work/work left after umount: %v", err)
	}
}

// TestMountRefusesOutsideItsUnit: the helper mounts only for its own unit's
// main process.
func TestMountRefusesOutsideItsUnit(t *testing.T) {
	needRoot(t)
	r := newRoot(t)
	u := startFakeUnit(t, "srv")
	pid := strconv.Itoa(u.main.Process.Pid)
	other := startFakeUnit(t, "other")
	for _, tt := range []struct {
		name string
		run  func() result
		want string
	}{
		{"helper outside the unit's cgroup", func() result {
			return runHelper(t, []string{"LEFT4ME_ROOT=" + r.String(), "MAINPID=" + pid}, "mount", "srv")
		}, "run only by left4me-server@srv.service"},
		{"another unit's process", func() result {
			return u.runHelper(t, []string{"LEFT4ME_ROOT=" + r.String(), "MAINPID=" + strconv.Itoa(other.main.Process.Pid)}, "mount", "srv")
		}, "is not left4me-server@srv.service's"},
		{"no main process", func() result {
			return u.runHelper(t, []string{"LEFT4ME_ROOT=" + r.String()}, "mount", "srv")
		}, "no main process id"},
		{"attach run by hand", func() result {
			return runHelper(t, []string{"LEFT4ME_ROOT=" + r.String()}, "attach", "srv", "installations/1")
		}, "runs only inside an instance unit's mount namespace"},
	} {
		got := tt.run()
		if got.code != 1 || !strings.Contains(got.stderr, tt.want) {
			t.Errorf("%s: exit %d, stderr %q; want 1 and %q", tt.name, got.code, got.stderr, tt.want)
		}
	}
	if mountedIn(t, pid, "srv") || mountedIn(t, "self", "srv") {
		t.Fatal("a refused mount mounted something")
	}
}

// TestRootComesFromSettingsNotEnvironment: a LEFT4ME_ROOT= line in
// instance.env reaches the helper's environment under systemd; the helper
// must take the state root from its root-owned settings file only.
func TestRootComesFromSettingsNotEnvironment(t *testing.T) {
	configured := newRoot(t)
	planted := newRoot(t)
	writeEnv(t, planted, planted.Installation("1")) // one layer, not two
	writeConfig(t, configured.String())
	cmd := exec.Command(helperBin, "mount", "srv")
	cmd.Env = []string{"LEFT4ME_ROOT=" + planted.String(), "LEFT4ME_OVERLAY_PRINT_ONLY=1"}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("print-only mount: %v", err)
	}
	if !strings.Contains(string(out), configured.Overlay("sm", "2")) || strings.Contains(string(out), planted.String()) {
		t.Fatalf("the helper used the environment's state root:\n%s", out)
	}
}

// TestSettingsFileMustBeTrusted: a settings file others may write is
// refused, as root.
func TestSettingsFileMustBeTrusted(t *testing.T) {
	needRoot(t)
	r := newRoot(t)
	writeConfig(t, r.String())
	if err := os.Chmod(testConfig, 0o666); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(helperBin, "mount", "srv")
	cmd.Env = []string{"LEFT4ME_OVERLAY_PRINT_ONLY=1"}
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "writable by no one else") {
		t.Fatalf("group/world-writable settings file: err %v, output %q; want a refusal", err, out)
	}
}

package e2e

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The guest: Debian (each suite of guestSuites) with just enough to boot systemd, run the
// system bus and polkit (whose Debian package needs libpam-systemd for its
// logind dependency) and nsenter (util-linux).
const (
	guestVariant = "minbase"
	cacheDir     = "/var/tmp"
	cachePrefix  = "left4me-e2e-rootfs-"
	runPrefix    = "left4me-e2e-run-"
	// defaultMirror is used when the host's apt sources name none.
	defaultMirror = "http://deb.debian.org/debian"
)

// defaultSuites are the Debian releases a production host may run (README):
// Debian 12 (systemd 252) and Debian 13 (systemd 257). LEFT4ME_E2E_SUITES
// (space-separated) picks others or fewer.
var defaultSuites = []string{"bookworm", "trixie"}

// guestSuites returns the suites to boot, in order.
func guestSuites() []string {
	if v := strings.Fields(os.Getenv("LEFT4ME_E2E_SUITES")); len(v) > 0 {
		return v
	}
	return defaultSuites
}

var guestPackages = []string{"systemd", "systemd-sysv", "dbus", "libpam-systemd", "polkitd", "util-linux"}

// cacheKey names the cached rootfs by what went into it, so a changed
// package list builds a new cache instead of reusing a stale one.
func cacheKey(suite string) string {
	sum := sha256.Sum256([]byte(suite + "\n" + guestVariant + "\n" + strings.Join(guestPackages, ",")))
	return hex.EncodeToString(sum[:])[:16]
}

// hostMirror returns the Debian mirror the host's apt uses (the first
// non-security "deb" source), or defaultMirror.
func hostMirror() string {
	if m := os.Getenv("LEFT4ME_E2E_MIRROR"); m != "" {
		return m
	}
	var texts []string
	if b, err := os.ReadFile("/etc/apt/sources.list"); err == nil {
		texts = append(texts, string(b))
	}
	files, _ := filepath.Glob("/etc/apt/sources.list.d/*")
	for _, f := range files {
		if !strings.HasSuffix(f, ".list") && !strings.HasSuffix(f, ".sources") {
			continue
		}
		if b, err := os.ReadFile(f); err == nil {
			texts = append(texts, string(b))
		}
	}
	for _, text := range texts {
		if m := mirrorFromSources(text); m != "" {
			return m
		}
	}
	return defaultMirror
}

// mirrorFromSources finds a Debian archive URI in one apt sources file,
// either one-line ("deb URI SUITE COMPONENTS") or deb822 ("URIs:" stanzas).
// Security and third-party archives are skipped: only a URI whose path ends
// in /debian qualifies.
func mirrorFromSources(text string) string {
	isDebian := func(uri string) bool {
		uri = strings.TrimRight(uri, "/")
		return (strings.HasPrefix(uri, "http://") || strings.HasPrefix(uri, "https://")) &&
			strings.HasSuffix(uri, "/debian")
	}
	var stanzaTypes, stanzaURIs []string
	flush := func() string {
		defer func() { stanzaTypes, stanzaURIs = nil, nil }()
		hasDeb := false
		for _, t := range stanzaTypes {
			if t == "deb" {
				hasDeb = true
			}
		}
		if !hasDeb {
			return ""
		}
		for _, u := range stanzaURIs {
			if isDebian(u) {
				return strings.TrimRight(u, "/")
			}
		}
		return ""
	}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			if m := flush(); m != "" {
				return m
			}
			continue
		}
		if strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		switch {
		case fields[0] == "deb":
			rest := fields[1:]
			if len(rest) > 0 && strings.HasPrefix(rest[0], "[") {
				for len(rest) > 0 && !strings.HasSuffix(rest[0], "]") {
					rest = rest[1:]
				}
				if len(rest) > 0 {
					rest = rest[1:]
				}
			}
			if len(rest) > 0 && isDebian(rest[0]) {
				return strings.TrimRight(rest[0], "/")
			}
		case strings.EqualFold(fields[0], "Types:"):
			stanzaTypes = fields[1:]
		case strings.EqualFold(fields[0], "URIs:"):
			stanzaURIs = fields[1:]
		}
	}
	return flush()
}

// cachedRootfs returns the cached guest rootfs, debootstrapping it first
// when missing. It is built in a temporary directory and renamed into place,
// so a killed run never leaves a half-built cache; a lock file serialises
// concurrent runs.
func cachedRootfs(ctx context.Context, t *testing.T, suite string) string {
	t.Helper()
	dir := filepath.Join(cacheDir, cachePrefix+cacheKey(suite))
	if complete(dir) {
		return dir
	}
	lock, err := os.OpenFile(dir+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatalf("open rootfs cache lock: %v", err)
	}
	defer lock.Close()
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX); err != nil {
		t.Fatalf("lock rootfs cache: %v", err)
	}
	defer unix.Flock(int(lock.Fd()), unix.LOCK_UN)
	if complete(dir) {
		return dir
	}
	tmp, err := os.MkdirTemp(cacheDir, cachePrefix+"build-")
	if err != nil {
		t.Fatalf("create rootfs build directory: %v", err)
	}
	defer os.RemoveAll(tmp)
	mirror := hostMirror()
	start := time.Now()
	t.Logf("debootstrap %s (%s) from %s into the cache %s (once)", suite, strings.Join(guestPackages, ","), mirror, dir)
	target := filepath.Join(tmp, "rootfs")
	cmd := exec.CommandContext(ctx, "debootstrap", "--variant="+guestVariant,
		"--include="+strings.Join(guestPackages, ","), suite, target, mirror)
	logf, err := os.Create(filepath.Join(tmp, "debootstrap.log"))
	if err != nil {
		t.Fatalf("create debootstrap log: %v", err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	runErr := cmd.Run()
	logf.Close()
	if runErr != nil {
		tail, _ := os.ReadFile(filepath.Join(tmp, "debootstrap.log"))
		t.Fatalf("debootstrap %s from %s: %v\n%s", suite, mirror, runErr, lastLines(string(tail), 30))
	}
	if err := os.WriteFile(filepath.Join(target, ".left4me-e2e-complete"), []byte(mirror+"\n"), 0o644); err != nil {
		t.Fatalf("mark rootfs complete: %v", err)
	}
	if err := os.Rename(target, dir); err != nil {
		t.Fatalf("move rootfs into the cache: %v", err)
	}
	t.Logf("debootstrap took %s", time.Since(start).Round(time.Second))
	return dir
}

func complete(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, ".left4me-e2e-complete"))
	return err == nil
}

// copyRootfs makes a private copy of the cached rootfs for one run.
func copyRootfs(ctx context.Context, t *testing.T, cache string) string {
	t.Helper()
	parent, err := os.MkdirTemp(cacheDir, runPrefix)
	if err != nil {
		t.Fatalf("create run directory: %v", err)
	}
	if err := os.WriteFile(filepath.Join(parent, "owner.pid"), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		t.Fatalf("write run owner: %v", err)
	}
	dir := filepath.Join(parent, "rootfs")
	out, err := exec.CommandContext(ctx, "cp", "-a", "--reflink=auto", cache, dir).CombinedOutput()
	if err != nil {
		os.RemoveAll(parent)
		t.Fatalf("copy rootfs: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		if os.Getenv("LEFT4ME_E2E_KEEP") == "1" {
			t.Logf("keeping the run's rootfs at %s (LEFT4ME_E2E_KEEP=1)", dir)
			return
		}
		if m := mountsUnder(parent); len(m) > 0 {
			t.Errorf("not removing %s: still mounted in the host's namespace: %v", parent, m)
			return
		}
		if err := os.RemoveAll(parent); err != nil {
			t.Errorf("remove run directory: %v", err)
		}
	})
	return dir
}

// sweepStaleRuns removes what a killed earlier run left behind: run
// directories whose owner process is gone, after stopping a guest still
// booted from one. Directories of live runs are left alone.
func sweepStaleRuns(t *testing.T) {
	t.Helper()
	parents, _ := filepath.Glob(filepath.Join(cacheDir, runPrefix+"*"))
	for _, parent := range parents {
		b, err := os.ReadFile(filepath.Join(parent, "owner.pid"))
		if err != nil {
			continue // being created right now, or not ours
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 0 || unix.Kill(pid, 0) == nil {
			continue // its run is still going
		}
		rootfs := filepath.Join(parent, "rootfs")
		for _, p := range nspawnsBooting(rootfs) {
			_ = unix.Kill(p, unix.SIGTERM)
			for i := 0; i < 300 && unix.Kill(p, 0) == nil; i++ {
				time.Sleep(100 * time.Millisecond)
			}
			_ = unix.Kill(p, unix.SIGKILL)
		}
		if m := mountsUnder(parent); len(m) > 0 {
			t.Logf("stale run directory %s is still mounted (%v); leaving it", parent, m)
			continue
		}
		if err := os.RemoveAll(parent); err != nil {
			t.Logf("remove stale run directory %s: %v", parent, err)
			continue
		}
		t.Logf("removed stale run directory %s (owner %d is gone)", parent, pid)
	}
}

// nspawnsBooting lists systemd-nspawn processes whose -D is rootfs.
func nspawnsBooting(rootfs string) []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		args := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
		if len(args) == 0 || filepath.Base(args[0]) != "systemd-nspawn" {
			continue
		}
		for i := 0; i+1 < len(args); i++ {
			if args[i] == "-D" && args[i+1] == rootfs {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}

// mountsUnder lists mount points below dir in this process's namespace.
func mountsUnder(dir string) []string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	var found []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 4 && strings.HasPrefix(fields[4], dir+"/") {
			found = append(found, fields[4])
		}
	}
	return found
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// errSkip carries the reason the harness cannot run on this machine.
var errSkip = errors.New("e2e harness cannot run here")

// canRun reports why the harness cannot run here, or nil.
func canRun() error {
	if os.Getenv("LEFT4ME_E2E") == "0" {
		return fmt.Errorf("%w: LEFT4ME_E2E=0", errSkip)
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("%w: needs root (it debootstraps and boots a systemd-nspawn container)", errSkip)
	}
	for _, tool := range []string{"systemd-nspawn", "debootstrap", "make", "nsenter", "cp"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%w: needs %s (apt-get install systemd-container debootstrap make)", errSkip, tool)
		}
	}
	if !installWithMake() {
		if _, err := exec.LookPath("dpkg-deb"); err != nil {
			return fmt.Errorf("%w: needs dpkg-deb to build the package (apt-get install dpkg-dev, or LEFT4ME_E2E_INSTALL=make)", errSkip)
		}
	}
	return nil
}

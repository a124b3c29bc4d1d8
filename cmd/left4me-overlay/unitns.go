package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/overlay"
)

// mainPIDEnv carries the unit's main process id from the first stage of
// "mount" (where systemd set MAINPID) to the stage re-executed in PID 1's
// mount namespace. Nothing trusts it: unitMountNS checks that the process
// belongs to the helper's own unit.
const mainPIDEnv = "LEFT4ME_MAINPID"

// procFS is where the helper reads /proc; tests point it elsewhere.
type procFS struct{ root string }

func (p procFS) path(elem ...string) string {
	return filepath.Join(append([]string{p.root}, elem...)...)
}

// cgroupOf returns the unified (v2) cgroup path of pid ("self" for the
// helper), the "0::" line of /proc/PID/cgroup.
func (p procFS) cgroupOf(pid string) (string, error) {
	f, err := os.Open(p.path(pid, "cgroup"))
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "0::"); ok {
			return rest, nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	return "", fmt.Errorf("no unified cgroup in %s", p.path(pid, "cgroup"))
}

// nsInode returns the inode of a mount namespace link.
func nsInode(path string) (uint64, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return 0, err
	}
	return st.Ino, nil
}

// unitMountNS opens the mount namespace of the main process of
// left4me-server@NAME.service, which the unit's ExecStartPost runs beside.
//
// NOTE: docs/lifecycle.md rule 2 — the overlay is mounted in the main
// process's own namespace and nowhere else. The process must be in the same
// cgroup as the helper, that cgroup must be the instance's unit, and its
// namespace must not be PID 1's (a mount there would reach every unit of
// the host, the quadratic cost this design removes). The namespace is opened
// first and the cgroup checked again afterwards, so a process id reused in
// between is noticed.
func (p procFS) unitMountNS(name, mainPID string) (fd int, err error) {
	self, err := p.cgroupOf("self")
	if err != nil {
		return -1, fmt.Errorf("read own cgroup: %w", err)
	}
	unit := "left4me-server@" + name + ".service"
	if filepath.Base(self) != unit {
		return -1, fmt.Errorf("mount %s: run only by %s (ExecStartPost=), not from cgroup %q", name, unit, self)
	}
	pid, err := strconv.Atoi(mainPID)
	if err != nil || pid <= 1 {
		return -1, fmt.Errorf("mount %s: no main process id (MAINPID %q): the unit must run the helper in ExecStartPost= with Type=exec", name, mainPID)
	}
	spid := strconv.Itoa(pid)
	if cg, err := p.cgroupOf(spid); err != nil || cg != self {
		return -1, fmt.Errorf("mount %s: process %d is not %s's (cgroup %q)", name, pid, unit, cg)
	}
	fd, err = unix.Open(p.path(spid, "ns", "mnt"), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("mount %s: open the mount namespace of process %d: %w", name, pid, err)
	}
	ok := false
	defer func() {
		if !ok {
			unix.Close(fd)
		}
	}()
	if cg, err := p.cgroupOf(spid); err != nil || cg != self {
		return -1, fmt.Errorf("mount %s: process %d left %s while its namespace was opened", name, pid, unit)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return -1, fmt.Errorf("mount %s: %w", name, err)
	}
	// The helper runs in PID 1's namespace by now (enterHostMountNS).
	host, err := nsInode(p.path("self", "ns", "mnt"))
	if err != nil {
		return -1, fmt.Errorf("mount %s: own mount namespace: %w", name, err)
	}
	if st.Ino == host {
		return -1, fmt.Errorf("mount %s: process %d runs in the host's mount namespace: the unit's sandbox is missing (refused: the overlay would reach every unit of the host)", name, pid)
	}
	ok = true
	return fd, nil
}

// holders lists the processes (one per mount namespace) whose namespace
// still has the instance's overlay mounted, as "PID (COMMAND)". Processes in
// the cgroup skip (when not empty) are left out.
func (p procFS) holders(name, skip string) ([]string, error) {
	needle := " overlay " + overlay.MountSource(name) + " "
	entries, err := os.ReadDir(p.root)
	if err != nil {
		return nil, fmt.Errorf("list processes: %w", err)
	}
	seen := map[uint64]bool{}
	var found []string
	for _, e := range entries {
		pid := e.Name()
		if pid == "" || pid[0] < '1' || pid[0] > '9' {
			continue
		}
		ino, err := nsInode(p.path(pid, "ns", "mnt"))
		if err != nil || seen[ino] {
			continue // gone, or a namespace already read
		}
		if skip != "" {
			if cg, err := p.cgroupOf(pid); err != nil || cg == skip {
				continue
			}
		}
		seen[ino] = true
		b, err := os.ReadFile(p.path(pid, "mountinfo"))
		if err != nil {
			continue
		}
		if strings.Contains(string(b), needle) {
			comm, _ := os.ReadFile(p.path(pid, "comm"))
			found = append(found, fmt.Sprintf("%s (%s)", pid, strings.TrimSpace(string(comm))))
		}
	}
	return found, nil
}

// errHeld says an instance's overlay is still mounted in some namespace.
var errHeld = errors.New("the overlay is still mounted")

// checkReleased fails when a namespace still holds the instance's overlay.
// With ownUnit, processes of the helper's own unit are not counted.
//
// NOTE: docs/lifecycle.md rule 3 — systemd runs ExecStopPost once the main
// process has exited; processes of the unit that outlived the KillSignal are
// killed (SIGKILL) only after ExecStopPost, and the unit becomes inactive
// only when its cgroup is empty. Such a process still holds the namespace
// here, but it is gone before the instance can start again.
func (p procFS) checkReleased(name string, ownUnit bool) error {
	skip := ""
	if ownUnit {
		if cg, err := p.cgroupOf("self"); err == nil && filepath.Base(cg) == "left4me-server@"+name+".service" {
			skip = cg
		}
	}
	held, err := p.holders(name, skip)
	if err != nil {
		return err
	}
	if len(held) > 0 {
		return fmt.Errorf("%s: %w in the mount namespace of process %s; end it (the overlay goes with the last process of that namespace), then stop the instance again", name, errHeld, strings.Join(held, ", "))
	}
	return nil
}

// attachVerb is the internal second stage of "mount", run by the helper
// itself inside the unit's mount namespace.
const attachVerb = "attach"

// parentNSEnv tells attach the mount namespace "mount" ran in.
const parentNSEnv = "LEFT4ME_PARENT_MNTNS"

// execAttach re-executes the helper through nsenter into the mount
// namespace nsFD with the validated layers, relative to the state root (the
// unit's namespace shows the state root at its configured path, which may
// differ from the resolved path PID 1's namespace gave).
func execAttach(nsFD int, name string, plan overlay.Plan, getenv func(string) string) error {
	args := []string{attachVerb, name}
	for _, l := range plan.Lower {
		rel, ok := strings.CutPrefix(l, plan.Root+"/")
		if !ok {
			return fmt.Errorf("mount %s: layer %s is outside the state root %s", name, l, plan.Root)
		}
		args = append(args, rel)
	}
	// The descriptor must survive the exec of nsenter, which opens it by
	// its /proc/self/fd name.
	if _, err := unix.FcntlInt(uintptr(nsFD), unix.F_SETFD, 0); err != nil {
		return fmt.Errorf("mount %s: %w", name, err)
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("mount %s: find own executable: %w", name, err)
	}
	argv := append([]string{"nsenter", "--mount=/proc/self/fd/" + strconv.Itoa(nsFD), "--", exe}, args...)
	env := hostEnv(getenv)
	// attach refuses to mount in the namespace it was started from.
	if ino, err := nsInode("/proc/self/ns/mnt"); err == nil {
		env = append(env, parentNSEnv+"="+strconv.FormatUint(ino, 10))
	}
	err = unix.Exec(nsenterPath, argv, env)
	return fmt.Errorf("mount %s: run %s to enter the unit's mount namespace: %w", name, nsenterPath, err)
}

// attach mounts the overlay in the current mount namespace, which must not
// be PID 1's: it is the second stage of "mount".
func attach(name string, rel []string, getenv func(string) string, stderr io.Writer) int {
	fail := func(err error) int {
		fmt.Fprintf(stderr, "left4me-overlay: %v\n", err)
		return 1
	}
	if err := layout.ValidateName(name); err != nil {
		return fail(err)
	}
	// A safety net, not a security boundary (only root can mount): attach
	// must not mount in the namespace "mount" ran in, nor in PID 1's.
	self, err := nsInode("/proc/self/ns/mnt")
	if err != nil {
		return fail(fmt.Errorf("attach %s: %w", name, err))
	}
	parent, _ := strconv.ParseUint(getenv(parentNSEnv), 10, 64)
	pid1, _ := nsInode("/proc/1/ns/mnt")
	if parent == 0 || self == parent || self == pid1 {
		return fail(fmt.Errorf("attach %s: runs only inside an instance unit's mount namespace, started by \"mount\"", name))
	}
	root, err := rootFromConfig(configPath)
	if err != nil {
		return fail(err)
	}
	if len(rel) == 0 {
		return fail(fmt.Errorf("attach %s: no layers", name))
	}
	plan := overlay.Plan{Root: root.String(), Name: name, Upper: root.Upper(name), Work: root.Work(name), Target: root.Merged(name)}
	for _, r := range rel {
		if r == "" || strings.HasPrefix(r, "/") {
			return fail(fmt.Errorf("attach %s: layer %q must be relative to the state root", name, r))
		}
		plan.Lower = append(plan.Lower, filepath.Join(root.String(), r))
	}
	// Mount re-checks the plan (every layer inside the layer directories,
	// the base installation last, upper/work/target the instance's) and
	// opens each directory beneath the state root without following
	// symlinks.
	res, err := overlay.Mount(plan, overlay.MountOptions{})
	if err != nil {
		return fail(err)
	}
	if res.AlreadyMounted {
		fmt.Fprintf(stderr, "left4me-overlay: %s: already mounted on %s, nothing to do\n", name, plan.Target)
	} else {
		fmt.Fprintf(stderr, "left4me-overlay: %s: mounted %d layers on %s in the unit's mount namespace (%s)\n", name, len(plan.Lower), plan.Target, res.Technique)
	}
	return 0
}

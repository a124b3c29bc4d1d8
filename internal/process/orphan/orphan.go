// Package orphan keeps the children of a left4me process (the process
// supervisor's game servers, the development sandbox's build scripts) from
// outliving it, and finds and stops those that did anyway.
//
// Two measures work together (docs/lifecycle.md, "Children of a dead
// panel"):
//
//   - Start gives the child a parent-death signal (SIGKILL). Linux sends it
//     when the thread that forked the child ends, not the process, so Start
//     forks from a goroutine locked to its OS thread and keeps that thread
//     until the child has been waited for: the Go runtime can never retire
//     the thread under a running child.
//   - The parent-death signal reaches only the direct child; what it
//     started (srcds_run's engine, a build script's commands) lives on. Mark
//     puts a variable into every child's environment naming the state root
//     and the process that owns the child; descendants inherit it. Reap,
//     called when a panel starts, finds the processes of its state root
//     whose owner no longer runs and kills them.
package orphan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// MarkEnv is the environment variable Mark sets: "PID.START NAME ROOT", the
// owner's pid and start time (clock ticks after boot, field 22 of
// /proc/PID/stat), the child's name (an instance, "build/ID") and the
// absolute state root.
const MarkEnv = "LEFT4ME_OWNER"

// Owner identifies a running process across pid reuse.
type Owner struct {
	PID   int
	Start uint64
}

// Self returns the calling process as an Owner.
func Self() (Owner, error) {
	pid := os.Getpid()
	st, err := startTime(pid)
	if err != nil {
		return Owner{}, fmt.Errorf("read own start time: %w", err)
	}
	return Owner{PID: pid, Start: st}, nil
}

// alive reports whether o still runs.
func (o Owner) alive() bool {
	st, err := startTime(o.PID)
	return err == nil && st == o.Start
}

// Mark returns env with the marker of a child called name, owned by owner,
// of the state root root (made absolute) appended; an existing marker is
// replaced.
func Mark(env []string, owner Owner, root, name string) ([]string, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("mark child %s: %w", name, err)
	}
	if name == "" || strings.ContainsAny(name, " \x00") {
		return nil, fmt.Errorf("mark child: name %q is empty or has a space or NUL", name)
	}
	out := slices.DeleteFunc(slices.Clone(env), func(kv string) bool { return strings.HasPrefix(kv, MarkEnv+"=") })
	return append(out, fmt.Sprintf("%s=%d.%d %s %s", MarkEnv, owner.PID, owner.Start, name, abs)), nil
}

// mark is a parsed marker.
type mark struct {
	owner Owner
	name  string
	root  string
}

func parseMark(v string) (mark, bool) {
	id, rest, ok := strings.Cut(v, " ")
	if !ok {
		return mark{}, false
	}
	name, root, ok := strings.Cut(rest, " ")
	if !ok || name == "" || root == "" {
		return mark{}, false
	}
	p, s, ok := strings.Cut(id, ".")
	if !ok {
		return mark{}, false
	}
	pid, err1 := strconv.Atoi(p)
	st, err2 := strconv.ParseUint(s, 10, 64)
	if err1 != nil || err2 != nil || pid <= 0 {
		return mark{}, false
	}
	return mark{owner: Owner{PID: pid, Start: st}, name: name, root: root}, true
}

// Start starts cmd with SIGKILL as its parent-death signal (added to
// cmd.SysProcAttr, which is created when nil) and returns a function that
// waits for it as cmd.Wait does. The caller must call wait exactly once and
// must not call cmd.Wait itself: the forking thread is kept locked until
// then, because the signal fires when that thread ends.
func Start(cmd *exec.Cmd) (wait func() error, err error) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	started := make(chan error, 1)
	waited := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		// Unlocked (never retired) once the child is gone: from then on
		// the thread's end would signal nobody.
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		waited <- cmd.Wait()
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return func() error { return <-waited }, nil
}

// Proc is a process Reap found.
type Proc struct {
	PID  int
	Name string // the name its marker gives
	// Live is true when its owner still runs: Reap left it alone.
	Live bool
}

// Reap kills (SIGKILL) every process marked with the state root root whose
// owner no longer runs, except this process, and waits until they are gone
// or ctx ends. It returns what it found, killed or (Live) left alone because
// their owner still runs. Processes of other users that cannot be read are
// skipped.
func Reap(ctx context.Context, root string) ([]Proc, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("reap children of %s: %w", root, err)
	}
	seen := map[int]Proc{}
	// A killed shell may have forked a moment before: look again until a
	// pass finds nothing new to kill.
	for pass := 0; ; pass++ {
		found, err := scan(abs)
		if err != nil {
			return nil, err
		}
		var killed []int
		var pidfds []int
		for _, f := range found {
			if f.proc.Live {
				seen[f.proc.PID] = f.proc
				unix.Close(f.pidfd)
				continue
			}
			if err := unix.PidfdSendSignal(f.pidfd, unix.SIGKILL, nil, 0); err != nil && !errors.Is(err, unix.ESRCH) {
				unix.Close(f.pidfd)
				closeAll(pidfds)
				return nil, fmt.Errorf("reap children of %s: kill %d: %w", abs, f.proc.PID, err)
			}
			seen[f.proc.PID] = f.proc
			killed = append(killed, f.proc.PID)
			pidfds = append(pidfds, f.pidfd)
		}
		err = waitGone(ctx, pidfds)
		closeAll(pidfds)
		if err != nil {
			return nil, fmt.Errorf("reap children of %s: %w", abs, err)
		}
		if len(killed) == 0 || pass >= 20 {
			break
		}
	}
	out := make([]Proc, 0, len(seen))
	for _, p := range seen {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b Proc) int { return a.PID - b.PID })
	return out, nil
}

// Find lists the processes marked with the state root root, except this
// process, without touching them.
func Find(root string) ([]Proc, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("find children of %s: %w", root, err)
	}
	found, err := scan(abs)
	if err != nil {
		return nil, err
	}
	out := make([]Proc, 0, len(found))
	for _, f := range found {
		unix.Close(f.pidfd)
		out = append(out, f.proc)
	}
	return out, nil
}

type found struct {
	proc  Proc
	pidfd int
}

// scan lists the marked processes of root, each with a pidfd opened before
// its environment was read, so a signal through it cannot reach a process
// that reused the pid later.
func scan(root string) ([]found, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("list processes: %w", err)
	}
	self := os.Getpid()
	var out []found
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		fd, err := unix.PidfdOpen(pid, 0)
		if err != nil {
			continue // gone, or no pidfd support (then nothing to do safely)
		}
		m, ok := markOf(pid)
		if !ok || m.root != root {
			unix.Close(fd)
			continue
		}
		out = append(out, found{proc: Proc{PID: pid, Name: m.name, Live: m.owner.alive()}, pidfd: fd})
	}
	return out, nil
}

// markOf reads the marker from the environment of pid.
//
// A process in the middle of execve shows an empty environment for a
// moment: the kernel has switched it to the new program's memory but not yet
// recorded where the new environment lies. A build script's command caught
// in that window would otherwise be missed, so an empty environment of a
// process that is not a kernel thread is read again a few times before it
// counts as unmarked.
func markOf(pid int) (mark, bool) {
	path := "/proc/" + strconv.Itoa(pid) + "/environ"
	data, err := os.ReadFile(path)
	for try := 0; err == nil && len(data) == 0 && try < 5 && !kernelThread(pid); try++ {
		time.Sleep(time.Millisecond)
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return mark{}, false
	}
	prefix := []byte(MarkEnv + "=")
	for kv := range bytes.SplitSeq(data, []byte{0}) {
		if v, ok := bytes.CutPrefix(kv, prefix); ok {
			return parseMark(string(v))
		}
	}
	return mark{}, false
}

// waitGone waits until every pidfd reports its process ended.
func waitGone(ctx context.Context, pidfds []int) error {
	for _, fd := range pidfds {
		for {
			n, err := unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, 100)
			if err != nil && !errors.Is(err, unix.EINTR) {
				return fmt.Errorf("wait for a killed process: %w", err)
			}
			if n > 0 {
				break
			}
			if ctx.Err() != nil {
				return fmt.Errorf("wait for a killed process: %w", ctx.Err())
			}
		}
	}
	return nil
}

func closeAll(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}

// pfKthread is the PF_KTHREAD bit of the flags in /proc/PID/stat.
const pfKthread = 0x00200000

// kernelThread reports whether pid is a kernel thread (field 9 of
// /proc/PID/stat has PF_KTHREAD); one that cannot be read counts as one,
// since it has no environment to read either.
func kernelThread(pid int) bool {
	fields, err := statFields(pid)
	if err != nil || len(fields) < 7 {
		return true
	}
	flags, err := strconv.ParseUint(fields[6], 10, 64)
	return err != nil || flags&pfKthread != 0
}

// statFields returns the fields of /proc/PID/stat after the command name
// (which may hold spaces and parentheses, so cut at the last ')'): the
// first is field 3 (state).
func statFields(pid int) ([]string, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil, err
	}
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return nil, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	return strings.Fields(string(data[i+1:])), nil
}

// startTime returns field 22 of /proc/PID/stat (after the command name,
// which may hold spaces and parentheses, so parsed from the last ')').
func startTime(pid int) (uint64, error) {
	fields, err := statFields(pid)
	if err != nil {
		return 0, err
	}
	// fields[0] is field 3 (state); field 22 is fields[19].
	if len(fields) < 20 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(fields)+2)
	}
	return strconv.ParseUint(fields[19], 10, 64)
}

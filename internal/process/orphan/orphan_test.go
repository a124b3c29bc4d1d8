package orphan

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// TestStartOutlivesCallerThread: the parent-death signal fires when the
// forking thread ends. A caller whose goroutine is locked to its thread and
// ends without unlocking retires that thread; the child must live on, since
// Start forks from a thread of its own.
func TestStartOutlivesCallerThread(t *testing.T) {
	type started struct {
		cmd  *exec.Cmd
		wait func() error
		tid  int
		err  error
	}
	ch := make(chan started, 1)
	var s started
	for s.cmd == nil {
		go func() {
			runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
			if unix.Gettid() == os.Getpid() {
				// The main thread is never retired, only wedged: try
				// again on another.
				ch <- started{}
				return
			}
			cmd := exec.Command("sleep", "600")
			wait, err := Start(cmd)
			ch <- started{cmd, wait, unix.Gettid(), err}
		}()
		if s = <-ch; s.err != nil {
			t.Fatal(s.err)
		}
	}
	defer func() {
		s.cmd.Process.Kill()
		s.wait()
	}()
	// Wait until the caller's thread is gone (its exit sent any
	// parent-death signal before it left /proc).
	for {
		if _, err := os.Stat(fmt.Sprintf("/proc/self/task/%d", s.tid)); errors.Is(err, os.ErrNotExist) {
			break
		}
		runtime.Gosched()
	}
	fd, err := unix.PidfdOpen(s.cmd.Process.Pid, 0)
	if err != nil {
		t.Fatalf("the child is gone after its caller's thread ended: %v", err)
	}
	defer unix.Close(fd)
	if n, _ := unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, 1000); n > 0 {
		t.Fatal("the child died when its caller's thread ended")
	}
}

// TestMarkAndFind: Mark's variable names the owner, the child and the
// absolute root, and Find lists marked processes of that root only, Live
// while their owner runs; Reap leaves those alone.
func TestMarkAndFind(t *testing.T) {
	self, err := Self()
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	env, err := Mark([]string{"A=1", MarkEnv + "=old"}, self, root, "inst")
	if err != nil {
		t.Fatal(err)
	}
	if len(env) != 2 || env[0] != "A=1" || !strings.HasPrefix(env[1], MarkEnv+"=") {
		t.Fatalf("Mark = %q", env)
	}
	m, ok := parseMark(strings.TrimPrefix(env[1], MarkEnv+"="))
	if !ok || m.owner != self || m.name != "inst" || m.root != root {
		t.Fatalf("parseMark = %+v, %v", m, ok)
	}
	for _, bad := range []string{"", "a b"} {
		if _, err := Mark(nil, self, root, bad); err == nil {
			t.Errorf("Mark name %q: no error", bad)
		}
	}
	for _, bad := range []string{"", "1.2 x", "x.2 n /r", "1.x n /r", "0.1 n /r", "12 n /r"} {
		if _, ok := parseMark(bad); ok {
			t.Errorf("parseMark(%q) accepted", bad)
		}
	}

	cmd := exec.Command("sleep", "600")
	cmd.Env = env
	wait, err := Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		wait()
	}()
	other, err := Find(t.TempDir())
	if err != nil || len(other) != 0 {
		t.Errorf("Find of another root = %v, %v", other, err)
	}
	// The child's environment is readable once it has exec'd.
	var procs []Proc
	for len(procs) == 0 {
		if procs, err = Find(root); err != nil {
			t.Fatal(err)
		}
		runtime.Gosched()
	}
	if len(procs) != 1 || procs[0].PID != cmd.Process.Pid || procs[0].Name != "inst" || !procs[0].Live {
		t.Fatalf("Find = %+v, want the live child %d", procs, cmd.Process.Pid)
	}
	if got, err := Reap(context.Background(), root); err != nil || len(got) != 1 || !got[0].Live {
		t.Fatalf("Reap = %+v, %v", got, err)
	}
	if err := cmd.Process.Signal(syscall.Signal(0)); err != nil {
		t.Errorf("Reap killed a child of a live owner: %v", err)
	}
}

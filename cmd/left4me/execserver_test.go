package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestWaitMounted(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "merged")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// Nothing mounted: the wait ends with an error naming the directory.
	err := waitMounted(context.Background(), dir, 30*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), dir) {
		t.Fatalf("waitMounted with nothing mounted: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := waitMounted(ctx, dir, time.Minute); err != context.Canceled {
		t.Fatalf("waitMounted after cancel: %v", err)
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a file system")
	}
	done := make(chan error, 1)
	go func() { done <- waitMounted(context.Background(), dir, time.Minute) }()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=1m"); err != nil {
		t.Skipf("mount tmpfs: %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
	if err := <-done; err != nil {
		t.Fatalf("waitMounted once mounted: %v", err)
	}
}

// TestExecServerStoppedWhileWaiting: a stop (systemd's KillSignal, which
// cancels the command's context) that comes while exec-server still waits
// for the overlay ends it cleanly with exit 0; it used to return the
// context's error, so the unit of a stop right after a start ended failed.
func TestExecServerStoppedWhileWaiting(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "runtime", "alpha", "merged"), 0o755); err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	env := &cliEnv{stdout: &strings.Builder{}, stderr: &stderr,
		getenv:  func(k string) string { return map[string]string{"LEFT4ME_ROOT": root}[k] },
		environ: func() []string { return nil }}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	if code := run(ctx, env, []string{"exec-server", "alpha", "-game", "left4dead2"}); code != 0 {
		t.Fatalf("exec-server stopped while waiting exited %d:\n%s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "alpha stopped before the server started") {
		t.Errorf("stderr does not say why it ended:\n%s", stderr.String())
	}
}

// execServerChildEnv makes TestExecServerEndsOnItsStopSignal run
// exec-server through runMain in a child process.
const execServerChildEnv = "LEFT4ME_TEST_EXEC_SERVER_CHILD"

// TestExecServerEndsOnItsStopSignal: systemd's stop signal, sent while
// exec-server waits for the overlay, ends the process by that signal. It
// used to be caught (and handed to a context from another goroutine), so a
// signal that came just before the exec of srcds_run was lost and the
// server ran until the stop timeout: a stop right after a start ended
// "timeout" (docs/lifecycle.md rule 4).
func TestExecServerEndsOnItsStopSignal(t *testing.T) {
	if os.Getenv(execServerChildEnv) != "" {
		os.Exit(runMain([]string{"exec-server", "alpha", "-game", "left4dead2"}))
	}
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "runtime", "alpha", "merged"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestExecServerEndsOnItsStopSignal$")
		cmd.Env = append(os.Environ(), execServerChildEnv+"=1", "LEFT4ME_ROOT="+root)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Let it reach the wait for the overlay (it never comes here).
		time.Sleep(300 * time.Millisecond)
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-done
			t.Fatalf("exec-server did not end on %v:\n%s", sig, out.String())
		}
		ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
		if !ok || !ws.Signaled() || ws.Signal() != sig {
			t.Errorf("exec-server ended with %v after %v, want it killed by that signal (a caught stop signal is lost at the exec):\n%s", cmd.ProcessState, sig, out.String())
		}
	}
}

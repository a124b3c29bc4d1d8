package main

import (
	"context"
	"os"
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

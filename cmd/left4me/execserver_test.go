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

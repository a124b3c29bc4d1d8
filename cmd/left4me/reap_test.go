package main

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/process/orphan"
)

// TestServeReapsDeadPanelsChildren: a panel with the process supervisor
// first kills what a panel that died left running on its state root (a
// process marked with the root and an owner that no longer runs) before it
// listens; a marked process of another root is left alone.
func TestServeReapsDeadPanelsChildren(t *testing.T) {
	root, err := layout.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// An owner that ran and ended.
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	dead := orphan.Owner{PID: gone.Process.Pid, Start: 1}
	leftover := func(stateRoot string) (*exec.Cmd, int) {
		t.Helper()
		env, err := orphan.Mark(os.Environ(), dead, stateRoot, "orph")
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("sleep", "600")
		cmd.Env = env
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		fd, err := unix.PidfdOpen(cmd.Process.Pid, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { unix.Close(fd) })
		return cmd, fd
	}
	_, ours := leftover(root.String())
	_, others := leftover(t.TempDir())
	// Both have exec'd (their environment shows the marker) before the
	// panel looks.
	for {
		procs, err := orphan.Find(root.String())
		if err != nil {
			t.Fatal(err)
		}
		if len(procs) == 1 {
			break
		}
	}

	cfg := Config{Root: root, DatabasePath: root.Database(), PortMin: 24100, PortMax: 24199,
		Supervisor: supervisorProcess, Logger: slog.New(slog.DiscardHandler)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- servePanel(ctx, cfg, panelOptions{Listen: "127.0.0.1:0", Ready: func(u string) { ready <- u }}, nil)
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("servePanel ended before listening: %v", err)
	}
	ended := func(fd int) bool {
		n, err := unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, 0)
		return err == nil && n > 0
	}
	if !ended(ours) {
		t.Error("a process a dead panel left on this state root still runs after the panel started")
	}
	if ended(others) {
		t.Error("the panel killed a process of another state root")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}

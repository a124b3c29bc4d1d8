package process

import (
	"context"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/instance"
)

func TestParseStat(t *testing.T) {
	line := "4242 (srcds (linux) x) S 1 4240 4240 0 -1 4194304 100 0 0 0 250 50 7 3 20 0 1 0 100 123456789 2048 18446744073709551615"
	st, err := parseStat(line)
	if err != nil {
		t.Fatal(err)
	}
	want := procStat{pgrp: 4240, utime: 250, stime: 50, cutime: 7, cstime: 3, rss: 2048}
	if st != want {
		t.Errorf("parseStat = %+v, want %+v", st, want)
	}
	if _, err := parseStat("4242 (x) S 1"); err == nil {
		t.Error("a short line parsed")
	}
}

// TestGroupUsage: a busy process group of two shows CPU time and resident
// memory; a group that does not exist is unknown.
func TestGroupUsage(t *testing.T) {
	cmd := exec.Command("sh", "-c", "(while :; do :; done) & while :; do :; done")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pgid := cmd.Process.Pid
	t.Cleanup(func() { syscall.Kill(-pgid, syscall.SIGKILL); cmd.Wait() })
	var u instance.Usage
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		var err error
		if u, err = groupUsage("/proc", pgid); err != nil {
			t.Fatal(err)
		}
		if u.CPU >= 20*time.Millisecond {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if u.CPU < 20*time.Millisecond || u.Memory <= 0 {
		t.Errorf("usage of a busy group = %+v; want CPU time and memory", u)
	}
	u, err := groupUsage("/proc", 1<<30)
	if err != nil || u != instance.UnknownUsage {
		t.Errorf("usage of no group = %+v, %v; want unknown", u, err)
	}
	s := New(Config{Env: os.Environ()})
	if u, err := s.Usage(context.Background(), "never"); err != nil || u != instance.UnknownUsage {
		t.Errorf("usage of an instance never started = %+v, %v; want unknown", u, err)
	}
}

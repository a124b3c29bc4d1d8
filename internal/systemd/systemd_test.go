package systemd

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/instance"
)

func TestMapState(t *testing.T) {
	tests := []struct {
		active, sub string
		want        instance.State
	}{
		{"active", "running", instance.Running},
		{"active", "exited", instance.Running},
		{"reloading", "reload", instance.Running},
		{"activating", "start-pre", instance.Starting},
		{"activating", "start", instance.Starting},
		{"activating", "auto-restart", instance.Starting},
		{"failed", "auto-restart", instance.Starting},
		{"deactivating", "stop-sigterm", instance.Stopping},
		{"deactivating", "stop-post", instance.Stopping},
		{"failed", "failed", instance.Failed},
		{"inactive", "dead", instance.Stopped},
		{"", "", instance.Stopped},
	}
	for _, tt := range tests {
		got, err := MapState(tt.active, tt.sub)
		if err != nil || got != tt.want {
			t.Errorf("MapState(%q, %q) = %q, %v; want %q", tt.active, tt.sub, got, err, tt.want)
		}
	}
	if _, err := MapState("exploding", "x"); err == nil {
		t.Error("MapState accepted an unknown ActiveState")
	}
}

func TestJobError(t *testing.T) {
	if err := jobError("start", "u", "done"); err != nil {
		t.Errorf("done: %v", err)
	}
	for _, r := range []string{"failed", "timeout", "canceled", "dependency", "skipped", "invalid", "weird"} {
		err := jobError("start", "left4me-server@a.service", r)
		if err == nil || !strings.Contains(err.Error(), "start left4me-server@a.service") {
			t.Errorf("result %q: err = %v", r, err)
		}
	}
}

func TestSinceUsec(t *testing.T) {
	if !sinceUsec(0).IsZero() {
		t.Error("0 is not the zero time")
	}
	want := time.Date(2026, 11, 29, 22, 0, 0, 5000, time.UTC)
	if got := sinceUsec(uint64(want.UnixMicro())); !got.Equal(want) {
		t.Errorf("sinceUsec = %v, want %v", got, want)
	}
}

func TestJournalArgs(t *testing.T) {
	j := &Journal{Namespace: "left4me"}
	got := j.Args("vs1", 200)
	want := []string{"--namespace=left4me", "--unit=left4me-server@vs1.service", "--output=cat", "--no-pager", "--quiet", "--lines=200"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Args = %q, want %q", got, want)
	}
	if got := (&Journal{}).Args("a", 5); got[0] != "--unit=left4me-server@a.service" || got[len(got)-1] != "--lines=5" {
		t.Errorf("Args without namespace = %q", got)
	}
}

// fakeJournalctl writes a script that prints its arguments and some lines.
func fakeJournalctl(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "journalctl")
	script := `#!/bin/sh
echo "args: $*"
echo "line one"
printf 'line two without newline'
`
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestJournalTailAndFollow(t *testing.T) {
	j := &Journal{Namespace: "left4me", Command: fakeJournalctl(t)}
	ctx := context.Background()
	lines, err := j.Tail(ctx, "a", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 3 || !strings.Contains(lines[0], "--unit=left4me-server@a.service") || lines[1] != "line one" || lines[2] != "line two without newline" {
		t.Errorf("Tail = %q", lines)
	}

	// Follow reads by cursor, again and again, the unit's own lines only.
	argsFile := filepath.Join(t.TempDir(), "args")
	f := &Journal{Namespace: "left4me", Command: fakeJournalAll(t, argsFile), PollInterval: 5 * time.Millisecond}
	fctx, cancel := context.WithCancel(ctx)
	got := make(chan string, 10)
	done := make(chan error, 1)
	go func() {
		done <- f.Follow(fctx, "alpha", func(l string) { got <- l })
	}()
	if l := <-got; l != "hello from alpha" {
		t.Errorf("Follow delivered %q", l)
	}
	time.Sleep(50 * time.Millisecond)
	cancel()
	if err := <-done; err != context.Canceled {
		t.Errorf("Follow after cancel: %v", err)
	}
	if len(got) != 0 {
		t.Errorf("Follow delivered more: %q (another unit's line, or one twice)", <-got)
	}
	b, _ := os.ReadFile(argsFile)
	calls := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(calls) < 2 || !strings.Contains(calls[0], "--unit=left4me-server@alpha.service") || strings.Contains(calls[0], "--follow") ||
		!strings.Contains(calls[1], "--after-cursor=c4") {
		t.Errorf("journalctl calls:\n%s", b)
	}

	bad := &Journal{Command: filepath.Join(t.TempDir(), "missing")}
	if _, err := bad.Tail(ctx, "a", 1); err == nil {
		t.Error("Tail with a missing journalctl succeeded")
	}
}

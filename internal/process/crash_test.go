package process

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/instance"
)

func skipWithoutMounts(t *testing.T) bool {
	t.Helper()
	if os.Geteuid() == 0 {
		return false
	}
	if err := probe(); err != nil {
		t.Skipf("needs root or unprivileged user namespaces: %v", err)
	}
	return true
}

// waitLine waits until the instance's console holds a line containing want.
func waitLine(t *testing.T, sup *Supervisor, name, want string) []string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		lines, _ := sup.Tail(context.Background(), name, 200)
		for _, l := range lines {
			if strings.Contains(l, want) {
				return lines
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no console line with %q:\n%s", want, strings.Join(lines, "\n"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestCrashOnStartEndsFailed: with the stand-in's srcds_run, which restarts
// a crashed engine unless -norestart, a server that crashes on start ends
// Failed with the crash in its last console lines instead of looping.
func TestCrashOnStartEndsFailed(t *testing.T) {
	userns := skipWithoutMounts(t)
	// Make the script's loop, if it ran, restart at once.
	t.Setenv("FAKESRCDS_RESTART_DELAY", "0")
	e := newTestEnv(t, userns)
	ctx := context.Background()
	if _, err := e.svc.Create(ctx, instance.Spec{Name: "crashy", OwnerID: e.owner, Args: []string{"-fakecrash"}}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Start(ctx, "crashy"); err != nil {
		t.Fatal(err)
	}
	waitState(t, e.svc, "crashy", instance.Failed)
	lines := waitLine(t, e.sup, "crashy", "(failed)")
	text := strings.Join(lines, "\n")
	if n := strings.Count(text, "Segmentation fault"); n != 1 || strings.Contains(text, "Server restart") {
		t.Errorf("engine ran %d times or srcds_run restarted it:\n%s", n, text)
	}
	if !strings.Contains(text, "-norestart") {
		t.Errorf("started without -norestart:\n%s", text)
	}
}

// TestServerBindsItsBlock: the server binds its game port and the client
// port after it, and no SourceTV port.
func TestServerBindsItsBlock(t *testing.T) {
	userns := skipWithoutMounts(t)
	e := newTestEnv(t, userns)
	ctx := context.Background()
	in, err := e.svc.Create(ctx, instance.Spec{Name: "blk", OwnerID: e.owner})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Start(ctx, "blk"); err != nil {
		t.Fatal(err)
	}
	lines := waitLine(t, e.sup, "blk", "Connection to Steam servers successful.")
	text := strings.Join(lines, "\n")
	if want := fmt.Sprintf("ports %d SV / %d CL", in.Port, in.Port+1); !strings.Contains(text, want) {
		t.Errorf("console lacks %q:\n%s", want, text)
	}
	if strings.Contains(text, "HLTV") {
		t.Errorf("a SourceTV port was opened:\n%s", text)
	}
	if err := e.svc.Stop(ctx, "blk"); err != nil {
		t.Fatal(err)
	}
}

package instance

import (
	"context"
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"
)

// A stop job that systemd answers "done" while the unit ended failed (its
// ExecStopPost unmount timed out) is a failed stop for every caller.
func TestStopReportsUnitFailedDuringStop(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.svc.Create(ctx, Spec{Name: "vs", OwnerID: f.owner, Layers: []string{"zonemod"}}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Start(ctx, "vs"); err != nil {
		t.Fatal(err)
	}
	f.sup.onStop = func(string) (State, string) { return Failed, "timeout" }
	for _, op := range []struct {
		name string
		do   func() error
	}{
		{"stop", func() error { return f.svc.Stop(ctx, "vs") }},
		{"restart", func() error { return f.svc.Restart(ctx, "vs") }},
		{"reset", func() error { return f.svc.Reset(ctx, "vs") }},
		{"delete", func() error { return f.svc.Delete(ctx, "vs") }},
	} {
		err := op.do()
		if !errors.Is(err, ErrStopFailed) || !strings.Contains(err.Error(), "timeout") {
			t.Errorf("%s: err = %v, want ErrStopFailed naming the unit's result", op.name, err)
		}
	}
	if _, err := f.svc.Get(ctx, "vs"); err != nil {
		t.Fatalf("a delete whose stop failed removed the instance: %v", err)
	}
	f.sup.onStop = nil
	if err := f.svc.Stop(ctx, "vs"); err != nil {
		t.Fatalf("clean stop after the failure: %v", err)
	}
}

// A stop after which the overlay is still mounted fails loudly, and the next
// stop retries the unmount through the unit (start, then stop) instead of
// asking for root.
func TestStopWithOverlayStillMounted(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a file system on merged/")
	}
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.svc.Create(ctx, Spec{Name: "vs", OwnerID: f.owner, Layers: []string{"zonemod"}}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Start(ctx, "vs"); err != nil {
		t.Fatal(err)
	}
	merged := f.root.Merged("vs")
	if err := syscall.Mount("tmpfs", merged, "tmpfs", 0, "size=1m"); err != nil {
		t.Fatalf("mount a stand-in overlay: %v", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(merged, syscall.MNT_DETACH) })
	// The unit's ExecStopPost "fails": the mount stays.
	f.sup.onStop = func(string) (State, string) { return Failed, "exit-code" }
	f.sup.takeCalls()
	err := f.svc.Stop(ctx, "vs")
	if !errors.Is(err, ErrStopFailed) || !strings.Contains(err.Error(), "still mounted") {
		t.Fatalf("stop with the overlay left mounted: err = %v, want ErrStopFailed saying it is still mounted", err)
	}
	// The next stop retries through the unit; this time ExecStopPost works.
	f.sup.onStop = func(string) (State, string) {
		if err := syscall.Unmount(merged, 0); err != nil {
			t.Errorf("stand-in ExecStopPost: %v", err)
		}
		return Stopped, "success"
	}
	f.sup.takeCalls()
	if err := f.svc.Stop(ctx, "vs"); err != nil {
		t.Fatalf("retried stop: %v", err)
	}
	if got := strings.Join(f.sup.takeCalls(), ","); got != "start vs,stop vs" {
		t.Fatalf("retry calls = %q, want the unit started then stopped", got)
	}
}

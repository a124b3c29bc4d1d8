package instance

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// writeLogs writes n log files of size bytes each under base/left4dead2/logs,
// the i-th one i minutes newer than the first, and returns their names,
// oldest first.
func writeLogs(t *testing.T, base string, n int, size int) []string {
	t.Helper()
	dir := filepath.Join(base, "left4dead2", "logs")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(-24 * time.Hour)
	var names []string
	for i := range n {
		// Counters restart each day: names alone do not order the files.
		name := fmt.Sprintf("L%02d%02d%03d.log", 11, 30-i%2, i)
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, make([]byte, size), 0o644); err != nil {
			t.Fatal(err)
		}
		mt := start.Add(time.Duration(i) * time.Minute)
		if err := os.Chtimes(p, mt, mt); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	return names
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	slices.Sort(out)
	return out
}

func TestPruneLogs(t *testing.T) {
	for _, tc := range []struct {
		name     string
		n, size  int
		cap      LogCap
		wantKept int // the newest this many survive
	}{
		{"under both caps", 5, 100, LogCap{Files: 20, Bytes: 1 << 20}, 5},
		{"file count", 25, 100, LogCap{Files: 20, Bytes: 1 << 20}, 20},
		{"defaults", 25, 100, LogCap{}, DefaultLogFiles},
		{"bytes", 10, 1000, LogCap{Files: 20, Bytes: 3500}, 3},
		{"newest kept even when too big", 3, 5000, LogCap{Files: 20, Bytes: 1000}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			names := writeLogs(t, base, tc.n, tc.size)
			removed, err := PruneLogs(base, tc.cap)
			if err != nil {
				t.Fatal(err)
			}
			kept := names[len(names)-tc.wantKept:]
			gone := names[:len(names)-tc.wantKept]
			if got := listDir(t, filepath.Join(base, "left4dead2", "logs")); !slices.Equal(got, slices.Sorted(slices.Values(kept))) {
				t.Errorf("kept %v, want %v", got, kept)
			}
			if !slices.Equal(slices.Sorted(slices.Values(removed)), slices.Sorted(slices.Values(gone))) {
				t.Errorf("reported removed %v, want %v", removed, gone)
			}
		})
	}
}

func TestPruneLogsTouchesOnlyRegularLogFiles(t *testing.T) {
	base := t.TempDir()
	outside := t.TempDir()
	victim := filepath.Join(outside, "L0101000.log")
	if err := os.WriteFile(victim, []byte("not the server's"), 0o644); err != nil {
		t.Fatal(err)
	}
	names := writeLogs(t, base, 3, 10)
	dir := filepath.Join(base, "left4dead2", "logs")
	old := time.Now().Add(-48 * time.Hour)
	others := []string{"server.cfg", "notes.log", "L1130000.txt", "L113000.log", "L1130999.log.1"}
	for _, name := range others {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		_ = os.Chtimes(filepath.Join(dir, name), old, old)
	}
	if err := os.Mkdir(filepath.Join(dir, "L0101001.log"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, filepath.Join(dir, "L0101002.log")); err != nil {
		t.Fatal(err)
	}
	removed, err := PruneLogs(base, LogCap{Files: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(slices.Sorted(slices.Values(removed)), slices.Sorted(slices.Values(names[:2]))) {
		t.Errorf("removed %v, want only the two older log files %v", removed, names[:2])
	}
	want := slices.Sorted(slices.Values(append([]string{names[2], "L0101001.log", "L0101002.log"}, others...)))
	if got := listDir(t, dir); !slices.Equal(got, want) {
		t.Errorf("left %v, want %v", got, want)
	}
	if _, err := os.Stat(victim); err != nil {
		t.Errorf("the symbolic link's target is gone: %v", err)
	}
}

func TestPruneLogsFollowsNoDirectoryLink(t *testing.T) {
	for _, link := range []string{"left4dead2", "left4dead2/logs"} {
		t.Run(link, func(t *testing.T) {
			base, outside := t.TempDir(), t.TempDir()
			names := writeLogs(t, outside, 5, 10)
			target := filepath.Join(outside, "left4dead2")
			if link == "left4dead2/logs" {
				target = filepath.Join(outside, "left4dead2", "logs")
				if err := os.Mkdir(filepath.Join(base, "left4dead2"), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.Symlink(target, filepath.Join(base, link)); err != nil {
				t.Fatal(err)
			}
			if _, err := PruneLogs(base, LogCap{Files: 1}); err == nil {
				t.Error("PruneLogs went through a symbolic link without an error")
			}
			if got := listDir(t, filepath.Join(outside, "left4dead2", "logs")); len(got) != len(names) {
				t.Errorf("files behind the link: %v, want all %d", got, len(names))
			}
		})
	}
}

func TestPruneLogsWithoutLogs(t *testing.T) {
	if removed, err := PruneLogs(t.TempDir(), LogCap{}); err != nil || removed != nil {
		t.Errorf("no logs directory: %v, %v", removed, err)
	}
}

func TestStartCapsLogFiles(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.svc.Create(ctx, Spec{Name: "capped", OwnerID: f.owner}); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(f.root.Upper("capped"), 0o755); err != nil {
		t.Fatal(err)
	}
	names := writeLogs(t, f.root.Upper("capped"), DefaultLogFiles+5, 10)
	if err := f.svc.Start(ctx, "capped"); err != nil {
		t.Fatal(err)
	}
	got := listDir(t, filepath.Join(f.root.Upper("capped"), "left4dead2", "logs"))
	if want := slices.Sorted(slices.Values(names[5:])); !slices.Equal(got, want) {
		t.Errorf("after start: %v, want the newest %d: %v", got, DefaultLogFiles, want)
	}
}

// TestCapRunningLogsUsesMergedView stands a tmpfs in for the overlay:
// with merged/ mounted the cap works through it and upper/ is not touched;
// without a mount nothing is done (staging caps upper/).
func TestCapRunningLogsUsesMergedView(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount")
	}
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.svc.Create(ctx, Spec{Name: "live", OwnerID: f.owner}); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{f.root.Upper("live"), f.root.Merged("live")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	upperNames := writeLogs(t, f.root.Upper("live"), 25, 10)
	if err := f.svc.CapRunningLogs(ctx); err != nil {
		t.Fatal(err)
	}
	if got := listDir(t, filepath.Join(f.root.Upper("live"), "left4dead2", "logs")); len(got) != 25 {
		t.Errorf("not mounted: %d files left in upper, want all 25 (staging caps them)", len(got))
	}
	view := f.root.Merged("live")
	if err := unix.Mount("tmpfs", view, "tmpfs", 0, "size=16m"); err != nil {
		t.Skipf("mount tmpfs: %v", err)
	}
	t.Cleanup(func() { _ = unix.Unmount(view, unix.MNT_DETACH) })
	viewNames := writeLogs(t, view, 25, 10)
	if err := f.svc.CapRunningLogs(ctx); err != nil {
		t.Fatal(err)
	}
	if got := listDir(t, filepath.Join(view, "left4dead2", "logs")); !slices.Equal(got, slices.Sorted(slices.Values(viewNames[5:]))) {
		t.Errorf("through merged: %v, want the newest 20", got)
	}
	if got := listDir(t, filepath.Join(f.root.Upper("live"), "left4dead2", "logs")); len(got) != len(upperNames) {
		t.Errorf("upper/ under a mount was changed: %d files left", len(got))
	}
}

// TestStageTurnsLoggingOnWithoutListener: the events feed reads the log
// lines from the console, so logging is on without a UDP listener too.
func TestStageTurnsLoggingOnWithoutListener(t *testing.T) {
	f := newFixture(t)
	f.svc.cfg.LogAddress = ""
	ctx := context.Background()
	if _, err := f.svc.Create(ctx, Spec{Name: "quiet", OwnerID: f.owner}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Start(ctx, "quiet"); err != nil {
		t.Fatal(err)
	}
	// Logging is set in the launch cfg, run once (launchcfg.go).
	staged, err := os.ReadFile(filepath.Join(filepath.Dir(f.root.UpperServerCfg("quiet")), LaunchCfgName))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(staged), "\nlog on\n") || strings.Contains(string(staged), "logaddress_add") {
		t.Errorf("staged %s without a listener:\n%s", LaunchCfgName, staged)
	}
}

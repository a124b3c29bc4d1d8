package overlay

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

var techniques = []Technique{TechniqueAuto, TechniqueMountAPI, TechniqueLegacy}

func techName(tq Technique) string {
	if tq == TechniqueAuto {
		return "auto"
	}
	return string(tq)
}

// mountOrSkip mounts p with technique tq; a kernel without the new mount
// API skips the TechniqueMountAPI variant.
func mountOrSkip(t *testing.T, p Plan, tq Technique) MountResult {
	t.Helper()
	cleanupMount(t, p.Target)
	res, err := Mount(p, MountOptions{Technique: tq})
	if tq == TechniqueMountAPI && errors.Is(err, errUnsupported) {
		t.Skipf("this kernel lacks fsconfig lowerdir+ (Linux 6.8+): %v", err)
	}
	if err != nil {
		t.Fatalf("Mount: %v", err)
	}
	return res
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestMountRoundTrip(t *testing.T) {
	for _, tq := range techniques {
		t.Run(techName(tq), func(t *testing.T) {
			requireOverlay(t)
			tr := newTestRoot(t, 3, 0)
			p, err := tr.load()
			if err != nil {
				t.Fatal(err)
			}
			res := mountOrSkip(t, p, tq)
			if res.AlreadyMounted {
				t.Fatal("first Mount reported AlreadyMounted")
			}
			if tq != TechniqueAuto && res.Technique != tq {
				t.Errorf("Technique = %q, want %q", res.Technique, tq)
			}
			t.Logf("mounted with %s", res.Technique)
			if ok, err := IsMounted(p.Target); !ok || err != nil {
				t.Fatalf("IsMounted after Mount = %v, %v", ok, err)
			}
			m := p.Target
			if got := readFile(t, filepath.Join(m, "base.txt")); got != "base" {
				t.Errorf("base.txt = %q", got)
			}
			if got := readFile(t, filepath.Join(m, "layer001.txt")); got != "layer001" {
				t.Errorf("layer001.txt = %q", got)
			}
			if got := readFile(t, filepath.Join(m, "top.txt")); got != "layer000" {
				t.Errorf("top.txt = %q, want the uppermost layer's copy", got)
			}
			// Writes through merged land in upper, never in a lower layer.
			if err := os.WriteFile(filepath.Join(m, "new.txt"), []byte("new"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(m, "base.txt"), []byte("changed"), 0o644); err != nil {
				t.Fatal(err)
			}
			if got := readFile(t, filepath.Join(p.Upper, "new.txt")); got != "new" {
				t.Errorf("upper/new.txt = %q", got)
			}
			if got := readFile(t, filepath.Join(p.Upper, "base.txt")); got != "changed" {
				t.Errorf("upper/base.txt = %q (copy-up)", got)
			}
			if got := readFile(t, filepath.Join(tr.root.Installation("1"), "base.txt")); got != "base" {
				t.Errorf("the base installation changed: %q", got)
			}
			// Deleting a lower file through merged leaves a whiteout in upper.
			if err := os.Remove(filepath.Join(m, "layer001.txt")); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(filepath.Join(m, "layer001.txt")); !os.IsNotExist(err) {
				t.Errorf("deleted file still visible: %v", err)
			}
			if _, err := os.Lstat(filepath.Join(p.Upper, "layer001.txt")); err != nil {
				t.Errorf("no whiteout in upper: %v", err)
			}
			// The layers are mounted with nosuid,nodev.
			var sfs unix.Statfs_t
			if err := unix.Statfs(m, &sfs); err != nil {
				t.Fatal(err)
			}
			if sfs.Flags&unix.ST_NOSUID == 0 || sfs.Flags&unix.ST_NODEV == 0 {
				t.Errorf("mount flags %#x lack nosuid/nodev", sfs.Flags)
			}

			// Idempotent mount: a second Mount does nothing.
			again, err := Mount(p, MountOptions{Technique: tq})
			if err != nil || !again.AlreadyMounted {
				t.Fatalf("second Mount = %+v, %v; want AlreadyMounted", again, err)
			}
			if n := countMounts(t, m); n != 1 {
				t.Errorf("%d mounts on %s after mounting twice, want 1", n, m)
			}
			if _, err := os.Stat(filepath.Join(p.Work, "work")); err != nil {
				t.Errorf("work/work while mounted: %v", err)
			}

			u, err := tr.loadUnmount()
			if err != nil {
				t.Fatal(err)
			}
			did, err := Unmount(u)
			if err != nil || !did {
				t.Fatalf("Unmount = %v, %v", did, err)
			}
			if ok, _ := IsMounted(m); ok {
				t.Error("still mounted after Unmount")
			}
			if _, err := os.Lstat(filepath.Join(p.Work, "work")); !os.IsNotExist(err) {
				t.Errorf("work/work not removed: %v", err)
			}
			if got := readFile(t, filepath.Join(p.Upper, "new.txt")); got != "new" {
				t.Errorf("upper lost its file after unmount: %q", got)
			}
			// Idempotent umount.
			did, err = Unmount(u)
			if err != nil || did {
				t.Errorf("second Unmount = %v, %v; want false, nil", did, err)
			}
			// And it mounts again (restart cycle).
			if res := mountOrSkip(t, p, tq); res.AlreadyMounted {
				t.Error("remount reported AlreadyMounted")
			}
			if _, err := Unmount(u); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// countMounts counts the mountinfo entries whose mount point is path.
func countMounts(t *testing.T, path string) int {
	t.Helper()
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) > 4 && f[4] == path {
			n++
		}
	}
	return n
}

// TestMountDeepStack mounts 500 layers whose paths are each about 120 bytes
// long: 60 KB of paths, far beyond mount(2)'s one-page option string.
func TestMountDeepStack(t *testing.T) {
	for _, tq := range techniques {
		t.Run(techName(tq), func(t *testing.T) {
			requireOverlay(t)
			tr := newTestRoot(t, 1, 0)
			pad := 120 - len(tr.root.Overlay("layer000-", "1"))
			if pad < 1 {
				pad = 1
			}
			tr = newTestRoot(t, MaxLayers, pad)
			p, err := tr.load()
			if err != nil {
				t.Fatal(err)
			}
			total := 0
			for _, l := range p.Lower {
				total += len(l) + 1
			}
			if len(p.Lower) != 500 || len(p.Lower[0]) < 120 || total < 8*os.Getpagesize() {
				t.Fatalf("stack of %d layers, first path %d bytes, %d bytes in all: not the deep stack wanted", len(p.Lower), len(p.Lower[0]), total)
			}
			res := mountOrSkip(t, p, tq)
			t.Logf("500 layers of %d-byte paths (%d bytes) mounted with %s", len(p.Lower[0]), total, res.Technique)
			for _, f := range []string{"layer000", "layer250", "layer498"} {
				matches, _ := filepath.Glob(filepath.Join(p.Target, f+"-*.txt"))
				if len(matches) != 1 || !strings.HasPrefix(readFile(t, matches[0]), f+"-") {
					t.Errorf("file of %s not visible through merged: %v", f, matches)
				}
			}
			if got := readFile(t, filepath.Join(p.Target, "base.txt")); got != "base" {
				t.Errorf("base.txt = %q", got)
			}
			u, err := tr.loadUnmount()
			if err != nil {
				t.Fatal(err)
			}
			if did, err := Unmount(u); err != nil || !did {
				t.Fatalf("Unmount = %v, %v", did, err)
			}
		})
	}
}

// TestMountRefusesSwapAfterLoad: a path replaced by a symlink between Load
// and Mount (the service user owns these directories) makes Mount fail, and
// nothing gets mounted where the symlink points.
func TestMountRefusesSwapAfterLoad(t *testing.T) {
	requireOverlay(t)
	tests := []struct {
		name string
		swap func(tr *testRoot, p Plan, outside string)
	}{
		{"merged", func(tr *testRoot, p Plan, outside string) {
			rmAll(tr, p.Target)
			symlink(tr, outside, p.Target)
		}},
		{"upper", func(tr *testRoot, p Plan, outside string) {
			rmAll(tr, p.Upper)
			symlink(tr, outside, p.Upper)
		}},
		{"layer", func(tr *testRoot, p Plan, outside string) {
			rename(tr, p.Lower[0], p.Lower[0]+".old")
			symlink(tr, outside, p.Lower[0])
		}},
		{"layer parent", func(tr *testRoot, p Plan, outside string) {
			parent := filepath.Dir(p.Lower[0])
			rename(tr, parent, parent+".old")
			tr.mkdir(filepath.Join(outside, "1"))
			symlink(tr, outside, parent)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := newTestRoot(t, 2, 0)
			p, err := tr.load()
			if err != nil {
				t.Fatal(err)
			}
			outside := t.TempDir()
			tt.swap(tr, p, outside)
			cleanupMount(t, outside)
			cleanupMount(t, p.Target)
			_, err = Mount(p, MountOptions{})
			if err == nil {
				t.Fatal("Mount succeeded after a symlink swap")
			}
			t.Logf("refused: %v", err)
			if !strings.Contains(err.Error(), "symlink") {
				t.Errorf("error %q does not mention the symlink", err)
			}
			if ok, _ := IsMounted(outside); ok {
				t.Error("something got mounted on the symlink's target")
			}
		})
	}
}

func TestMountNonOverlayTarget(t *testing.T) {
	requireOverlay(t)
	tr := newTestRoot(t, 1, 0)
	p, err := tr.load()
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("tmpfs", p.Target, "tmpfs", 0, "size=1m"); err != nil {
		t.Fatal(err)
	}
	cleanupMount(t, p.Target)
	if _, err := Mount(p, MountOptions{}); err == nil || !strings.Contains(err.Error(), "non-overlay") {
		t.Errorf("Mount over tmpfs = %v, want a non-overlay refusal", err)
	}
	u, err := tr.loadUnmount()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Unmount(u); err == nil || !strings.Contains(err.Error(), "non-overlay") {
		t.Errorf("Unmount of tmpfs = %v, want a non-overlay refusal", err)
	}
}

// TestUnmountBusy: an EBUSY is reported, not retried or detached
// (docs/lifecycle.md rule 2); the overlay stays mounted and unmounts once
// released.
func TestUnmountBusy(t *testing.T) {
	requireOverlay(t)
	tr := newTestRoot(t, 1, 0)
	p, err := tr.load()
	if err != nil {
		t.Fatal(err)
	}
	mountOrSkip(t, p, TechniqueAuto)
	f, err := os.Open(filepath.Join(p.Target, "base.txt"))
	if err != nil {
		t.Fatal(err)
	}
	u, err := tr.loadUnmount()
	if err != nil {
		t.Fatal(err)
	}
	_, err = Unmount(u)
	if !errors.Is(err, unix.EBUSY) || !strings.Contains(err.Error(), "busy") {
		t.Errorf("Unmount while a file is open = %v, want EBUSY", err)
	}
	if ok, _ := IsMounted(p.Target); !ok {
		t.Error("busy overlay was detached")
	}
	f.Close()
	if did, err := Unmount(u); !did || err != nil {
		t.Errorf("Unmount after close = %v, %v", did, err)
	}
}

// TestUnmountRemovesWorkWork: work/work goes even when nothing is mounted,
// and removing it never follows a symlink planted inside.
func TestUnmountRemovesWorkWork(t *testing.T) {
	requireOverlay(t)
	tr := newTestRoot(t, 1, 0)
	p, err := tr.load()
	if err != nil {
		t.Fatal(err)
	}
	mountOrSkip(t, p, TechniqueAuto)
	u, err := tr.loadUnmount()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Unmount(u); err != nil {
		t.Fatal(err)
	}
	// Leave a kernel-style work/work (mode 000) with a symlink inside.
	outside := t.TempDir()
	keep := filepath.Join(outside, "keep")
	tr.write(keep, "keep")
	ww := filepath.Join(p.Work, "work")
	tr.mkdir(ww)
	symlink(tr, outside, filepath.Join(ww, "evil"))
	chmod(tr, ww, 0)
	did, err := Unmount(u)
	if err != nil || did {
		t.Fatalf("Unmount with nothing mounted = %v, %v", did, err)
	}
	if _, err := os.Lstat(ww); !os.IsNotExist(err) {
		t.Errorf("work/work not removed: %v", err)
	}
	if got := readFile(t, keep); got != "keep" {
		t.Error("file behind the symlink changed")
	}
	// work/work itself a symlink: unlinked, target untouched.
	symlink(tr, outside, ww)
	if _, err := Unmount(u); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(ww); !os.IsNotExist(err) {
		t.Errorf("symlinked work/work not removed: %v", err)
	}
	if got := readFile(t, keep); got != "keep" {
		t.Error("target of a symlinked work/work changed")
	}
}

// benchMountUmount mounts and unmounts an n-layer stack b.N times.
func benchMountUmount(b *testing.B, tq Technique) {
	for _, n := range []int{1, 50, 500} {
		b.Run(fmt.Sprintf("layers=%d", n), func(b *testing.B) {
			requireOverlay(b)
			tr := newTestRoot(b, n, 100)
			p, err := tr.load()
			if err != nil {
				b.Fatal(err)
			}
			u, err := tr.loadUnmount()
			if err != nil {
				b.Fatal(err)
			}
			cleanupMount(b, p.Target)
			var used Technique
			b.ResetTimer()
			for b.Loop() {
				res, err := Mount(p, MountOptions{Technique: tq})
				if err != nil {
					b.Fatal(err)
				}
				used = res.Technique
				if _, err := Unmount(u); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n), "layers")
			if b.N > 1 {
				b.Logf("technique: %s", used)
			}
		})
	}
}

// BenchmarkMountUmount measures Mount+Unmount (including the work/work
// cleanup) with the technique production picks on this kernel.
func BenchmarkMountUmount(b *testing.B) { benchMountUmount(b, TechniqueAuto) }

// BenchmarkMountUmountLegacy forces the mount(2) fallback.
func BenchmarkMountUmountLegacy(b *testing.B) { benchMountUmount(b, TechniqueLegacy) }

// BenchmarkLoad measures the validation of a 500-layer stack (what
// left4me-overlay does before mounting); it needs no root.
func BenchmarkLoad(b *testing.B) {
	tr := newTestRoot(b, MaxLayers, 100)
	for b.Loop() {
		if _, err := tr.load(); err != nil {
			b.Fatal(err)
		}
	}
}

package backup

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/left4me/left4me/internal/instance"
)

// TestBackupOfAMountedOverlay: with the instance's overlay really mounted
// (as root), files written, changed and deleted through merged are backed
// up while it stays mounted; the archive holds upper only: the new file,
// the copied-up changed one, the whiteout, and nothing of the lower
// layers' untouched files.
func TestBackupOfAMountedOverlay(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: mounts overlayfs (CI runs as root)")
	}
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.insts.Create(ctx, instance.Spec{Name: "ov", OwnerID: f.owner.ID, Layers: []string{"maps"}}); err != nil {
		t.Fatal(err)
	}
	lower := f.root.Overlay("maps", "0002")
	writeFile(t, filepath.Join(lower, "left4dead2", "keep.txt"), "untouched lower file")
	writeFile(t, filepath.Join(lower, "left4dead2", "change.txt"), "lower version")
	merged := f.root.Merged("ov")
	opts := "lowerdir=" + lower + ":" + f.root.Installation("0001") + ",upperdir=" + f.root.Upper("ov") + ",workdir=" + f.root.Work("ov")
	if err := unix.Mount("overlay", merged, "overlay", 0, opts); err != nil {
		t.Skipf("overlayfs cannot be mounted here: %v", err)
	}
	defer func() {
		if err := unix.Unmount(merged, 0); err != nil {
			t.Errorf("unmount: %v", err)
		}
		os.RemoveAll(filepath.Join(f.root.Work("ov"), "work"))
	}()
	writeFile(t, filepath.Join(merged, "left4dead2", "new.txt"), "written by the server")
	if err := os.WriteFile(filepath.Join(merged, "left4dead2", "change.txt"), []byte("changed in merged"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(merged, "left4dead2", "lower.txt")); err != nil {
		t.Fatal(err)
	}
	b, err := f.svc.Backup(ctx, "ov", Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, e := range readEntries(t, b.Path) {
		got[strings.TrimSuffix(e.hdr.Name, "/")] = string(e.data)
		if strings.Contains(string(e.data), "untouched lower file") || strings.Contains(string(e.data), "lower version") {
			t.Errorf("%s holds a lower layer's content", e.hdr.Name)
		}
	}
	if got["upper/left4dead2/new.txt"] != "written by the server" || got["upper/left4dead2/change.txt"] != "changed in merged" {
		t.Errorf("the archive lacks what was written through merged: %v", got)
	}
	if _, ok := got["upper/left4dead2/lower.txt"]; !ok {
		t.Errorf("the archive lacks the whiteout of the deleted lower file")
	}
	if _, ok := got["upper/left4dead2/keep.txt"]; ok {
		t.Errorf("the archive holds a lower layer's file")
	}
	// Restored, it is the same upper.
	file, err := os.Open(b.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	if _, err := f.svc.Restore(ctx, file, RestoreOptions{Name: "ov2"}); err != nil {
		t.Fatal(err)
	}
	want, have := treeSums(t, f.root.Upper("ov")), treeSums(t, f.root.Upper("ov2"))
	for p, w := range want {
		if have[p] != w {
			t.Errorf("%s: restored %q, want %q", p, have[p], w)
		}
	}
}

package content

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/overlay"
)

// writeTree creates files (slash paths, content) under dir.
func writeTree(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// hashTree hashes every path, mode, link target and file content under dir.
func hashTree(t testing.TB, dir string) string {
	t.Helper()
	h := sha256.New()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == filepath.Join("left4dead2", "logs") && d.IsDir() {
			// A running server's own log files (it logs with "log on",
			// staged always) are not content.
			return filepath.SkipDir
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		io.WriteString(h, rel+"\x00"+fi.Mode().String()+"\x00")
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			io.WriteString(h, l)
		case fi.Mode().IsRegular():
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			io.Copy(h, f)
			f.Close()
		}
		io.WriteString(h, "\x00")
		return nil
	})
	if err != nil {
		t.Fatalf("hash %s: %v", dir, err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func newRoot(t testing.TB) layout.Root {
	t.Helper()
	root, err := layout.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := root.Create(0o755); err != nil {
		t.Fatal(err)
	}
	// Published generations are read-only: give the owner write permission
	// back before the temp dir's own cleanup (runs first: LIFO).
	t.Cleanup(func() { RemoveTree(root.String()) })
	return root
}

func TestPublish(t *testing.T) {
	parent := filepath.Join(t.TempDir(), "layer")
	t0 := time.Date(2026, 11, 29, 23, 45, 0, 0, time.UTC)
	var gens []string
	for i := range 3 {
		src := filepath.Join(t.TempDir(), "out")
		writeTree(t, src, map[string]string{"left4dead2/cfg/a.cfg": "x", "srcds_run": "#!/bin/sh\n"})
		os.Chmod(filepath.Join(src, "srcds_run"), 0o700)
		os.Chmod(filepath.Join(src, "left4dead2/cfg/a.cfg"), 0o600)
		gen, err := Publish(parent, src, "b100", t0.Add(time.Duration(i)*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(src); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("source still there after publish: %v", err)
		}
		gens = append(gens, gen)
	}
	if gens[0] != "000001-20261129T234500Z-b100" {
		t.Errorf("first generation name = %q", gens[0])
	}
	if !slices.IsSorted(gens) || gens[0] == gens[1] {
		t.Errorf("names do not sort in creation order: %q", gens)
	}
	got, err := layout.Generations(parent)
	if err != nil || !reflect.DeepEqual(got, gens) {
		t.Errorf("Generations = %q, %v", got, err)
	}
	if n, _ := layout.Newest(parent); n != gens[2] {
		t.Errorf("Newest = %q", n)
	}
	g := filepath.Join(parent, gens[0])
	for p, want := range map[string]fs.FileMode{".": 0o555, "left4dead2": 0o555, "left4dead2/cfg/a.cfg": 0o444, "srcds_run": 0o555} {
		fi, err := os.Stat(filepath.Join(g, p))
		if err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v (%v)", p, fi.Mode().Perm(), want, err)
		}
	}
	if os.Geteuid() != 0 {
		if err := os.WriteFile(filepath.Join(g, "left4dead2/cfg/a.cfg"), []byte("y"), 0o644); err == nil {
			t.Error("a published file is writable")
		}
	}
	// Work in progress and markers are not generations.
	os.Mkdir(filepath.Join(parent, ".tmp-x"), 0o755)
	os.WriteFile(filepath.Join(parent, DeletedMarker), nil, 0o644)
	if got, _ := layout.Generations(parent); len(got) != 3 {
		t.Errorf("Generations with a dot entry = %q", got)
	}
	// A hand-made name that sorts after every counter name is reported.
	os.Mkdir(filepath.Join(parent, "zzz"), 0o755)
	src := filepath.Join(t.TempDir(), "out")
	os.Mkdir(src, 0o755)
	if _, err := Publish(parent, src, "", t0); err == nil || !strings.Contains(err.Error(), "zzz") {
		t.Errorf("publish below a hand-made name: %v", err)
	}
	if _, err := os.Stat(src); err != nil {
		t.Errorf("refused publish moved its source: %v", err)
	}
	if _, err := Publish(parent, src, "bad/suffix", t0); err == nil {
		t.Error("suffix with a slash accepted")
	}
	if err := RemoveTree(parent); err != nil {
		t.Errorf("RemoveTree of read-only generations: %v", err)
	}
}

func TestCopyTree(t *testing.T) {
	src := t.TempDir()
	writeTree(t, src, map[string]string{"a/b/c.txt": "hello", "big.bin": strings.Repeat("x", 1<<20)})
	os.Symlink("a/b/c.txt", filepath.Join(src, "link"))
	os.Chmod(filepath.Join(src, "a/b/c.txt"), 0o444)
	old := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	os.Chtimes(filepath.Join(src, "big.bin"), old, old)
	dst := filepath.Join(t.TempDir(), "copy")
	st, err := CopyTree(context.Background(), src, dst)
	if err != nil {
		t.Fatal(err)
	}
	if st.Files != 2 || st.Symlinks != 1 || st.Bytes != 5+1<<20 {
		t.Errorf("stats = %+v", st)
	}
	if hashTree(t, src) == "" {
		t.Fatal("no hash")
	}
	if b, _ := os.ReadFile(filepath.Join(dst, "a/b/c.txt")); string(b) != "hello" {
		t.Errorf("copied content %q", b)
	}
	if l, _ := os.Readlink(filepath.Join(dst, "link")); l != "a/b/c.txt" {
		t.Errorf("link = %q", l)
	}
	if fi, _ := os.Stat(filepath.Join(dst, "big.bin")); !fi.ModTime().Equal(old) {
		t.Errorf("mtime not kept: %v", fi.ModTime())
	}
	// The copy is private: writing it leaves the source alone.
	before := hashTree(t, src)
	if err := os.WriteFile(filepath.Join(dst, "a/b/c.txt"), []byte("changed"), 0o644); err != nil {
		t.Fatalf("copy is not writable: %v", err)
	}
	if hashTree(t, src) != before {
		t.Error("writing the copy changed the source")
	}
	if _, err := CopyTree(context.Background(), src, dst); err == nil {
		t.Error("copy onto an existing directory succeeded")
	}
}

func TestGC(t *testing.T) {
	root := newRoot(t)
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	publish := func(parent string, at time.Time) string {
		src := filepath.Join(root.Builds(), "out")
		writeTree(t, src, map[string]string{"f": at.String()})
		g, err := Publish(parent, src, "", at)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	inst := root.Installations()
	i1 := publish(inst, now.Add(-72*time.Hour))
	i2 := publish(inst, now.Add(-48*time.Hour)) // supersedes i1 48h ago
	i3 := publish(inst, now.Add(-time.Hour))    // supersedes i2 1h ago
	lay := filepath.Join(root.Overlays(), "maps")
	l1 := publish(lay, now.Add(-72*time.Hour))
	l2 := publish(lay, now.Add(-50*time.Hour))
	l3 := publish(lay, now.Add(-49*time.Hour))
	gone := filepath.Join(root.Overlays(), "gone")
	g1 := publish(gone, now.Add(-72*time.Hour))
	os.WriteFile(filepath.Join(gone, DeletedMarker), nil, 0o644)
	os.Chtimes(filepath.Join(gone, DeletedMarker), now.Add(-30*time.Hour), now.Add(-30*time.Hour))
	// An instance names i1 and l1 (it runs on them).
	env := overlay.Env{Port: 27015, LowerDirs: []string{filepath.Join(lay, l1), filepath.Join(inst, i1)}}
	os.MkdirAll(root.Instance("a"), 0o755)
	if err := overlay.WriteEnvFile(root.InstanceEnv("a"), env, os.Getuid(), os.Getgid()); err != nil {
		t.Fatal(err)
	}
	// An old build directory and a fresh one.
	os.MkdirAll(root.Build("old"), 0o755)
	os.Chtimes(root.Build("old"), now.Add(-48*time.Hour), now.Add(-48*time.Hour))
	os.MkdirAll(root.Build("new"), 0o755)
	os.Chtimes(root.Build("new"), now, now)
	os.RemoveAll(filepath.Join(root.Builds(), "out"))

	removed, err := GC(context.Background(), root, GCOptions{Grace: 24 * time.Hour, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(removed)
	want := []string{filepath.Join(root.Builds(), "old"), filepath.Join(lay, l2), gone, filepath.Join(gone, g1)}
	sort.Strings(want)
	if !reflect.DeepEqual(removed, want) {
		t.Errorf("removed %q\nwant    %q", removed, want)
	}
	for _, keep := range []string{filepath.Join(inst, i1), filepath.Join(inst, i2), filepath.Join(inst, i3), filepath.Join(lay, l1), filepath.Join(lay, l3), root.Build("new")} {
		if _, err := os.Stat(keep); err != nil {
			t.Errorf("%s removed: %v", keep, err)
		}
	}
	// Once nothing names i1 and the grace period passed, it goes too.
	os.Remove(root.InstanceEnv("a"))
	removed, err = GC(context.Background(), root, GCOptions{Grace: 24 * time.Hour, Now: now.Add(48 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(removed)
	want = []string{filepath.Join(inst, i1), filepath.Join(inst, i2), filepath.Join(lay, l1), root.Build("new")}
	sort.Strings(want)
	if !reflect.DeepEqual(removed, want) {
		t.Errorf("second GC removed %q\nwant %q", removed, want)
	}
	// A broken instance.env stops GC from guessing.
	os.WriteFile(root.InstanceEnv("a"), []byte("L4D2_PORT=\"x\n"), 0o644)
	if _, err := GC(context.Background(), root, GCOptions{Now: now.Add(1000 * time.Hour)}); err == nil {
		t.Error("GC with an unreadable instance.env did not fail")
	}
	if n, _ := layout.Newest(inst); n != i3 {
		t.Errorf("newest installation gone: %q", n)
	}
}

func TestEnsureSDK32(t *testing.T) {
	home := t.TempDir()
	steam := filepath.Join(t.TempDir(), "steam")
	os.MkdirAll(filepath.Join(steam, "linux32"), 0o755)
	os.WriteFile(filepath.Join(steam, "linux32", "steamclient.so"), []byte("ELF"), 0o644)
	for i, want := range []bool{true, false} {
		changed, err := EnsureSDK32(home, steam)
		if err != nil || changed != want {
			t.Fatalf("run %d: changed %v err %v", i, changed, err)
		}
	}
	if b, err := os.ReadFile(filepath.Join(home, ".steam", "sdk32", "steamclient.so")); err != nil || string(b) != "ELF" {
		t.Errorf("steamclient.so through the link: %q %v", b, err)
	}
	// A link to somewhere else is corrected.
	link := filepath.Join(home, ".steam", "sdk32")
	os.Remove(link)
	os.Symlink("/nowhere", link)
	if changed, err := EnsureSDK32(home, steam); err != nil || !changed {
		t.Errorf("wrong link: changed %v err %v", changed, err)
	}
	if l, _ := os.Readlink(link); l != filepath.Join(steam, "linux32") {
		t.Errorf("link = %q", l)
	}
	// A real directory is left alone and reported.
	os.Remove(link)
	os.Mkdir(link, 0o755)
	if _, err := EnsureSDK32(home, steam); err == nil {
		t.Error("a directory at sdk32 was not reported")
	}
}

func TestConflicts(t *testing.T) {
	base := t.TempDir()
	mk := func(name string, files map[string]string) string {
		d := filepath.Join(base, name)
		os.MkdirAll(d, 0o755)
		writeTree(t, d, files)
		return d
	}
	top := mk("top", map[string]string{"left4dead2/cfg/server.cfg": "1", "left4dead2/addons/a.vpk": "a", "left4dead2/maps": "file hides dir"})
	mid := mk("mid", map[string]string{"left4dead2/cfg/server.cfg": "2", "left4dead2/addons/b.vpk": "b", "left4dead2/maps/c1.bsp": "x"})
	inst := mk("inst", map[string]string{"left4dead2/cfg/server.cfg": "3", "left4dead2/addons/b.vpk": "b0", "srcds_run": "s", "left4dead2/maps/c2.bsp": "y"})
	got, err := Conflicts([]string{top, mid, inst})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]int{
		"left4dead2/cfg/server.cfg": {0, 1, 2},
		"left4dead2/addons/b.vpk":   {1, 2},
		"left4dead2/maps":           {0, 1, 2},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Conflicts = %v\nwant %v", got, want)
	}
	if _, err := Conflicts([]string{filepath.Join(base, "missing")}); err == nil {
		t.Error("missing layer: no error")
	}
}

func TestTreeAndOpenFile(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"left4dead2/cfg/server.cfg": "hostname x\n", "left4dead2/addons/m.vpk": "vpk"})
	outside := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(outside, []byte("secret"), 0o644)
	os.Symlink(outside, filepath.Join(dir, "left4dead2", "escape"))
	os.Symlink("../../../", filepath.Join(dir, "left4dead2", "up"))
	entries, err := Tree(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, e := range entries {
		paths = append(paths, e.Path)
	}
	want := []string{"left4dead2", "left4dead2/addons", "left4dead2/addons/m.vpk", "left4dead2/cfg", "left4dead2/cfg/server.cfg", "left4dead2/escape", "left4dead2/up"}
	if !reflect.DeepEqual(paths, want) {
		t.Errorf("Tree = %q", paths)
	}
	if entries[2].Size != 3 || entries[5].Link != outside {
		t.Errorf("entries = %+v", entries)
	}
	if part, err := Tree(dir, 3); !errors.Is(err, ErrTruncated) || len(part) != 3 {
		t.Errorf("Tree(3) = %d entries, %v", len(part), err)
	}
	f, fi, err := OpenFile(dir, "left4dead2/cfg/server.cfg")
	if err != nil {
		t.Fatalf("OpenFile: %v", err)
	}
	b, err := io.ReadAll(f)
	f.Close()
	if err != nil || string(b) != "hostname x\n" || fi.Size() != int64(len(b)) {
		t.Errorf("OpenFile read %q (size %d), %v", b, fi.Size(), err)
	}
	for _, bad := range []string{"../secret", "/etc/passwd", "left4dead2/escape", "left4dead2/up/etc/passwd", "left4dead2/cfg", "", "."} {
		if f, _, err := OpenFile(dir, bad); err == nil {
			f.Close()
			t.Errorf("OpenFile(%q) succeeded", bad)
		}
	}
}

// TestPublishAcrossFileSystems publishes from a build directory on another
// file system (tmpfs) than the generation's parent, as when installations/
// is a bind-mounted disk.
func TestPublishAcrossFileSystems(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: mounts a tmpfs")
	}
	mnt := t.TempDir()
	if err := unix.Mount("tmpfs", mnt, "tmpfs", 0, "size=16m"); err != nil {
		t.Skipf("cannot mount tmpfs: %v", err)
	}
	t.Cleanup(func() { unix.Unmount(mnt, 0) })
	src := filepath.Join(mnt, "build-1", "output")
	writeTree(t, src, map[string]string{"left4dead2/cfg/a.cfg": "x"})
	parent := filepath.Join(t.TempDir(), "layer")
	gen, err := Publish(parent, src, "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(parent, gen, "left4dead2/cfg/a.cfg")); string(b) != "x" {
		t.Errorf("published content %q", b)
	}
	if _, err := os.Stat(src); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("source kept: %v", err)
	}
	if gens, _ := layout.Generations(parent); len(gens) != 1 {
		t.Errorf("generations = %q", gens)
	}
	entries, _ := os.ReadDir(parent)
	if len(entries) != 1 {
		t.Errorf("work-in-progress left: %v", entries)
	}
}

// TestGCRemovesUnfinishedGenerations: a publisher killed while copying
// into another file system leaves a ".tmp-*" directory next to the
// generations; GC removes it once nothing touched it for a day, and never
// a fresh one (a copy may be in progress), whatever the grace.
func TestGCRemovesUnfinishedGenerations(t *testing.T) {
	root := newRoot(t)
	lay := filepath.Join(root.Overlays(), "maps")
	src := filepath.Join(root.Builds(), "b1", "output")
	writeTree(t, src, map[string]string{"f": "x"})
	gen, err := Publish(lay, src, "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	tmps := []string{filepath.Join(lay, ".tmp-b2-abc"), filepath.Join(root.Installations(), ".tmp-b3-def")}
	for _, tmp := range tmps {
		writeTree(t, tmp, map[string]string{"left4dead2/half.vpk": "half"})
		os.Chmod(filepath.Join(tmp, "left4dead2"), 0o555) // as a copy of a published tree
	}
	removed, err := GC(context.Background(), root, GCOptions{Grace: time.Second, Now: time.Now()})
	if err != nil || len(removed) != 0 {
		t.Errorf("GC right after the crash removed %q (err %v), want nothing", removed, err)
	}
	removed, err = GC(context.Background(), root, GCOptions{Now: time.Now().Add(25 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(removed)
	want := append([]string{filepath.Join(root.Builds(), "b1")}, tmps...)
	sort.Strings(want)
	if !reflect.DeepEqual(removed, want) {
		t.Errorf("GC a day later removed %q\nwant %q", removed, want)
	}
	if n, _ := layout.Newest(lay); n != gen {
		t.Errorf("newest generation = %q, want %q", n, gen)
	}
}

// TestGCKeepsRunningBuilds: a GC with a short grace (LEFT4ME_GENERATION_GRACE,
// --grace) does not remove the directory of a build still running.
func TestGCKeepsRunningBuilds(t *testing.T) {
	root := newRoot(t)
	running := filepath.Join(root.Build("install-running"), BuildOutput)
	writeTree(t, running, map[string]string{"left4dead2/copying.vpk": "x"})
	removed, err := GC(context.Background(), root, GCOptions{Grace: time.Minute, Now: time.Now().Add(2 * time.Hour)})
	if err != nil || len(removed) != 0 {
		t.Errorf("GC removed %q (err %v) two hours into a build", removed, err)
	}
	if _, err := os.Stat(filepath.Join(running, "left4dead2", "copying.vpk")); err != nil {
		t.Errorf("running build's tree: %v", err)
	}
}

// TestOpenFileRefusesFIFOWithoutBlocking: a FIFO left in a layer is refused
// at once; a blocking open would hang the panel request that reads it.
func TestOpenFileRefusesFIFOWithoutBlocking(t *testing.T) {
	dir := t.TempDir()
	if err := unix.Mkfifo(filepath.Join(dir, "pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		f, _, err := OpenFile(dir, "pipe")
		if f != nil {
			f.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, ErrInvalid) {
			t.Fatalf("OpenFile(fifo) = %v, want ErrInvalid", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("OpenFile blocked on a FIFO")
	}
}

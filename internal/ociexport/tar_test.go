package ociexport

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/left4me/left4me/internal/layout"
)

func writeFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, text := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func layerBytes(t *testing.T, dir string, opt tarOptions) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := writeTree(&b, dir, opt); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestLayerIsDeterministic: the same tree copied elsewhere, with other
// times and created in another order, gives the same bytes; the entries are
// sorted, owned by Owner, at the epoch, under the prefix.
func TestLayerIsDeterministic(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	files := map[string]string{"srcds_run": "#!/bin/sh\n", "left4dead2/cfg/server.cfg": "hostname x\n", "left4dead2/addons/a.vpk": "vpk"}
	writeFiles(t, a, files)
	for _, name := range []string{"left4dead2/addons/a.vpk", "srcds_run", "left4dead2/cfg/server.cfg"} {
		writeFiles(t, b, map[string]string{name: files[name]})
	}
	old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	os.Chtimes(filepath.Join(b, "srcds_run"), old, old)
	os.Symlink("cfg/server.cfg", filepath.Join(a, "left4dead2", "link"))
	os.Symlink("cfg/server.cfg", filepath.Join(b, "left4dead2", "link"))
	la, lb := layerBytes(t, a, tarOptions{Prefix: GameDir}), layerBytes(t, b, tarOptions{Prefix: GameDir})
	if !bytes.Equal(la, lb) {
		t.Fatal("the same tree gave two different layers")
	}
	var names []string
	tr := tar.NewReader(bytes.NewReader(la))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Uid != Owner || h.Gid != Owner || !h.ModTime.Equal(epoch) || h.Uname != "" || len(h.PAXRecords) != 0 {
			t.Errorf("%s: uid %d gid %d time %v uname %q pax %v", h.Name, h.Uid, h.Gid, h.ModTime, h.Uname, h.PAXRecords)
		}
		names = append(names, h.Name)
	}
	want := "l4d2/ l4d2/left4dead2/ l4d2/left4dead2/addons/ l4d2/left4dead2/addons/a.vpk l4d2/left4dead2/cfg/ l4d2/left4dead2/cfg/server.cfg l4d2/left4dead2/link l4d2/srcds_run"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("entries\n %s\nwant\n %s", got, want)
	}
}

// TestUpperWhiteouts: an overlay upper's whiteout (a 0/0 character
// device) and opaque directory become the OCI image spec's .wh. files.
func TestUpperWhiteouts(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: makes a whiteout device and a trusted.overlay xattr")
	}
	up := t.TempDir()
	writeFiles(t, up, map[string]string{"left4dead2/cfg/new.cfg": "x", "left4dead2/maps/keep.bsp": "y"})
	if err := unix.Mknod(filepath.Join(up, "left4dead2", "cfg", "gone.cfg"), unix.S_IFCHR|0o600, 0); err != nil {
		t.Fatal(err)
	}
	if err := unix.Setxattr(filepath.Join(up, "left4dead2", "maps"), "trusted.overlay.opaque", []byte("y"), 0); err != nil {
		t.Skipf("this file system keeps no trusted xattrs: %v", err)
	}
	var names []string
	tr := tar.NewReader(bytes.NewReader(layerBytes(t, up, tarOptions{Prefix: GameDir, Upper: true})))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
	}
	got := strings.Join(names, " ")
	for _, want := range []string{"l4d2/left4dead2/cfg/.wh.gone.cfg", "l4d2/left4dead2/maps/.wh..wh..opq", "l4d2/left4dead2/maps/keep.bsp"} {
		if !strings.Contains(got, want) {
			t.Errorf("upper layer lacks %s: %s", want, got)
		}
	}
	// A lower layer has no whiteouts: a device there is refused.
	if err := writeTree(io.Discard, up, tarOptions{Prefix: GameDir}); err == nil {
		t.Error("a device in a lower layer was exported")
	}
}

// TestCachePrune: an entry whose generation is gone loses its blob; a
// blob another entry names stays.
func TestCachePrune(t *testing.T) {
	c := Cache{Dir: t.TempDir()}
	a, b := t.TempDir(), t.TempDir()
	writeFiles(t, a, map[string]string{"x": "1"})
	writeFiles(t, b, map[string]string{"x": "2"})
	la, _, err := c.Layer("overlays/a/1", a)
	if err != nil {
		t.Fatal(err)
	}
	lb, _, err := c.Layer("overlays/b/1", b)
	if err != nil {
		t.Fatal(err)
	}
	if _, reused, _ := c.Layer("overlays/a/1", a); !reused {
		t.Error("second Layer of a generation was not reused")
	}
	if err := c.Prune(func(key string) bool { return key == "overlays/b/1" }); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(la.path); !os.IsNotExist(err) {
		t.Errorf("the gone generation's blob is still there: %v", err)
	}
	if _, err := os.Stat(lb.path); err != nil {
		t.Errorf("a kept generation's blob was removed: %v", err)
	}
}

// BenchmarkExportLayer measures a generation's layer: written from its
// tree (first export) and found in the cache (every later one), for a
// 64 MiB tree of 64 files.
func BenchmarkExportLayer(b *testing.B) {
	dir := b.TempDir()
	buf := make([]byte, 1<<20)
	for i := range 64 {
		rand.Read(buf)
		writeFiles(b, dir, map[string]string{filepath.Join("left4dead2", "addons", string(rune('a'+i%26))+strings.Repeat("x", i/26)+".vpk"): string(buf)})
	}
	b.Run("written", func(b *testing.B) {
		for b.Loop() {
			c := Cache{Dir: b.TempDir()}
			if _, _, err := c.Layer("installations/1", dir); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		c := Cache{Dir: b.TempDir()}
		if _, _, err := c.Layer("installations/1", dir); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, reused, err := c.Layer("installations/1", dir); err != nil || !reused {
				b.Fatal(err, reused)
			}
		}
	})
}

// TestCacheForOwnsFiles: run as root on a state root another user owns
// (the CLI on a production host), the cache's directories and files get
// that owner, so the panel's exports can use and prune them.
func TestCacheForOwnsFiles(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: gives files another owner")
	}
	root, err := layout.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(root.String(), 4242, 4243); err != nil {
		t.Fatal(err)
	}
	gen := filepath.Join(root.String(), "installations", "1")
	writeFiles(t, gen, map[string]string{"srcds_run": "x"})
	c := CacheFor(root)
	unlock, err := c.lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	unlock()
	if _, _, err := c.Layer("installations/1", gen); err != nil {
		t.Fatal(err)
	}
	n := 0
	err = filepath.WalkDir(filepath.Join(root.String(), "cache"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return err
		}
		if st.Uid != 4242 || st.Gid != 4243 {
			t.Errorf("%s is owned by %d:%d, want the state root's 4242:4243", p, st.Uid, st.Gid)
		}
		n++
		return nil
	})
	if err != nil || n < 6 {
		t.Errorf("walked %d entries: %v", n, err)
	}
}

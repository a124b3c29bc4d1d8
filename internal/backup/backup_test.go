package backup

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/schedule"
)

// makeSource creates instance src with a layer, settings, a schedule and
// an upper holding nested files, a binary file, a link inside, an empty
// directory and a whiteout.
func makeSource(t *testing.T, f *fixture) {
	t.Helper()
	ctx := context.Background()
	_, err := f.insts.Create(ctx, instance.Spec{Name: "src", OwnerID: f.owner.ID, Layers: []string{"maps"},
		Args: []string{"+map", "c1m1_hotel"}, ServerCfg: "hostname \"backup test\"\n"})
	if err != nil {
		t.Fatal(err)
	}
	off := false
	if _, err := f.insts.Update(ctx, "src", instance.Update{Watchdog: &off}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.scheds.Add(ctx, "src", schedule.Spec{Action: "restart", When: "daily 04:00", Policy: "when-empty", MaxWait: "30m"}, schedule.User{ID: f.owner.ID}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.SetRetention(ctx, "src", Retention{KeepDaily: 3, KeepWeekly: 2}); err != nil {
		t.Fatal(err)
	}
	up := f.root.Upper("src")
	writeFile(t, filepath.Join(up, "left4dead2", "cfg", "sourcemod", "plugin.cfg"), "sm_x 1\n")
	writeFile(t, filepath.Join(up, "left4dead2", "addons", "deep", "er", "file.txt"), strings.Repeat("text ", 10000))
	bin := make([]byte, 300000)
	for i := range bin {
		bin[i] = byte(i * 7919 % 251)
	}
	if err := os.WriteFile(filepath.Join(up, "left4dead2", "addons", "bin.dat"), bin, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../cfg/sourcemod/plugin.cfg", filepath.Join(up, "left4dead2", "addons", "link.cfg")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(up, "left4dead2", "empty"), 0o750); err != nil {
		t.Fatal(err)
	}
	// A whiteout: lower.txt deleted in the merged view.
	if err := unix.Mknod(filepath.Join(up, "left4dead2", "lower.txt"), unix.S_IFCHR|0o600, 0); err != nil {
		t.Fatalf("make a whiteout: %v", err)
	}
}

// TestBackupRestoresByteIdentical: a backup restored under a new name has
// the same upper, file by file (SHA-256), and the same record.
func TestBackupRestoresByteIdentical(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	makeSource(t, f)
	b, err := f.svc.Backup(ctx, "src", Options{WithRCONPassword: true})
	if err != nil {
		t.Fatal(err)
	}
	if b.Size == 0 || filepath.Dir(b.Path) != filepath.Join(f.root.String(), "backups", "src") {
		t.Fatalf("backup %+v: want a file under backups/src", b)
	}
	file, err := os.Open(b.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	res, err := f.svc.Restore(ctx, file, RestoreOptions{Name: "dst"})
	if err != nil {
		t.Fatal(err)
	}
	want, got := treeSums(t, f.root.Upper("src")), treeSums(t, f.root.Upper("dst"))
	if len(want) < 8 {
		t.Fatalf("source upper too small: %v", want)
	}
	for p, w := range want {
		if got[p] != w {
			t.Errorf("%s: restored %q, want %q", p, got[p], w)
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			t.Errorf("%s: restored, but not in the source", p)
		}
	}
	src, _ := f.insts.Get(ctx, "src")
	dst := res.Instance
	if dst.Name != "dst" || dst.OwnerID != src.OwnerID || !slices.Equal(dst.Layers, src.Layers) || !slices.Equal(dst.Args, src.Args) ||
		dst.Watchdog || dst.RCONPassword != src.RCONPassword {
		t.Errorf("restored %+v\nfrom %+v", dst, src)
	}
	if dst.Port == src.Port {
		t.Errorf("restored on the source's port %d while the source has it", dst.Port)
	}
	cfg, _ := f.insts.ServerCfg(ctx, "dst")
	if cfg != "hostname \"backup test\"\n" {
		t.Errorf("server.cfg = %q", cfg)
	}
	scheds, _ := f.scheds.List(ctx, "dst")
	if len(scheds) != 1 || scheds[0].Action != schedule.Restart || scheds[0].When.Spec != "04:00" || scheds[0].MaxWait.String() != "30m0s" {
		t.Errorf("schedules = %+v", scheds)
	}
	if r, _ := f.svc.Retention(ctx, "dst"); r != (Retention{KeepDaily: 3, KeepWeekly: 2}) {
		t.Errorf("retention = %+v", r)
	}
}

// TestBackupHoldsNothingFromLowerLayers: the archive's entries are the
// record, the manifest and exactly the paths of upper.
func TestBackupHoldsNothingFromLowerLayers(t *testing.T) {
	f := newFixture(t)
	makeSource(t, f)
	b, err := f.svc.Backup(context.Background(), "src", Options{})
	if err != nil {
		t.Fatal(err)
	}
	upper := treeSums(t, f.root.Upper("src"))
	entries := readEntries(t, b.Path)
	for _, e := range entries {
		name := strings.TrimSuffix(e.hdr.Name, "/")
		if name == recordEntry || name == manifestEntry {
			continue
		}
		rel, ok := strings.CutPrefix(name, upperEntry)
		rel = strings.TrimPrefix(rel, "/")
		if rel == "" {
			rel = "."
		}
		if _, in := upper[rel]; !ok || !in {
			t.Errorf("archive entry %q is not a path of upper", e.hdr.Name)
		}
		if bytes.Contains(e.data, []byte("from a lower layer")) {
			t.Errorf("archive entry %q holds a lower layer's file", e.hdr.Name)
		}
	}
	if len(entries) != len(upper)+2 {
		t.Errorf("%d entries, want upper's %d paths and two more", len(entries), len(upper))
	}
	var rec Record
	for _, e := range entries {
		if e.hdr.Name == recordEntry && bytes.Contains(e.data, []byte("rcon_password")) {
			t.Errorf("the record holds the RCON password though not asked: %s", e.data)
		}
	}
	_ = rec
}

// TestRestoreRefusesTamperedArchives: every kind of tampering is refused
// before anything is created.
func TestRestoreRefusesTamperedArchives(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	path, raw := backupOfSource(t, f)
	orig := readEntries(t, path)
	find := func(es []entry, name string) int {
		for i, e := range es {
			if e.hdr.Name == name {
				return i
			}
		}
		t.Fatalf("no entry %s", name)
		return -1
	}
	clone := func() []entry {
		out := make([]entry, len(orig))
		for i, e := range orig {
			out[i] = entry{hdr: e.hdr, data: slices.Clone(e.data)}
		}
		return out
	}
	// insertBefore puts e before the manifest, the last entry.
	insertBefore := func(es []entry, e entry) []entry {
		return slices.Insert(es, len(es)-1, e)
	}
	cases := []struct {
		name string
		data func() []byte
		kind error
	}{
		{"data after the end of the archive", func() []byte {
			return writeEntriesThen(t, clone(), []byte("extra"))
		}, ErrCorrupt},
		{"a megabyte of zeros after the end of the archive", func() []byte {
			return writeEntriesThen(t, clone(), make([]byte, 1<<20))
		}, ErrCorrupt},
		{"the end of the compressed stream cut off", func() []byte {
			return raw[:len(raw)-4]
		}, ErrCorrupt},
		{"one byte of a file changed", func() []byte {
			es := clone()
			i := find(es, "upper/left4dead2/addons/bin.dat")
			es[i].data[100] ^= 0xff
			return writeEntries(t, es)
		}, ErrCorrupt},
		{"the record changed", func() []byte {
			es := clone()
			i := find(es, recordEntry)
			es[i].data = bytes.Replace(es[i].data, []byte(`"port"`), []byte(`"port" `), 1)
			return writeEntries(t, es)
		}, ErrCorrupt},
		{"a file added inside upper", func() []byte {
			return writeEntries(t, insertBefore(clone(), entry{hdr: tar.Header{Typeflag: tar.TypeReg, Name: "upper/left4dead2/extra.txt", Mode: 0o644}, data: []byte("x")}))
		}, ErrCorrupt},
		{"a file removed", func() []byte {
			es := clone()
			i := find(es, "upper/left4dead2/addons/bin.dat")
			return writeEntries(t, slices.Delete(es, i, i+1))
		}, ErrCorrupt},
		{"an added ../x entry", func() []byte {
			return writeEntries(t, insertBefore(clone(), entry{hdr: tar.Header{Typeflag: tar.TypeReg, Name: "../x", Mode: 0o644}, data: []byte("x")}))
		}, ErrUnsafe},
		{"an added upper/../../x entry", func() []byte {
			return writeEntries(t, insertBefore(clone(), entry{hdr: tar.Header{Typeflag: tar.TypeReg, Name: "upper/../../x", Mode: 0o644}, data: []byte("x")}))
		}, ErrUnsafe},
		{"an absolute path", func() []byte {
			return writeEntries(t, insertBefore(clone(), entry{hdr: tar.Header{Typeflag: tar.TypeReg, Name: "/tmp/x", Mode: 0o644}, data: []byte("x")}))
		}, ErrUnsafe},
		{"a symlink pointing out (absolute)", func() []byte {
			return writeEntries(t, insertBefore(clone(), entry{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: "upper/left4dead2/passwd", Linkname: "/etc/passwd"}}))
		}, ErrUnsafe},
		{"a symlink pointing out (relative)", func() []byte {
			return writeEntries(t, insertBefore(clone(), entry{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: "upper/left4dead2/up", Linkname: "../../x"}}))
		}, ErrUnsafe},
		{"a file written through a symlink", func() []byte {
			es := insertBefore(clone(), entry{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: "upper/left4dead2/via", Linkname: "cfg"}})
			return writeEntries(t, insertBefore(es, entry{hdr: tar.Header{Typeflag: tar.TypeReg, Name: "upper/left4dead2/via/x.cfg", Mode: 0o644}, data: []byte("x")}))
		}, ErrUnsafe},
		{"a device node", func() []byte {
			return writeEntries(t, insertBefore(clone(), entry{hdr: tar.Header{Typeflag: tar.TypeChar, Name: "upper/left4dead2/null", Devmajor: 1, Devminor: 3, Mode: 0o666}}))
		}, ErrUnsafe},
		{"a hard link", func() []byte {
			return writeEntries(t, insertBefore(clone(), entry{hdr: tar.Header{Typeflag: tar.TypeLink, Name: "upper/left4dead2/hard", Linkname: "upper/left4dead2/addons/bin.dat"}}))
		}, ErrUnsafe},
		{"a fifo", func() []byte {
			return writeEntries(t, insertBefore(clone(), entry{hdr: tar.Header{Typeflag: tar.TypeFifo, Name: "upper/left4dead2/fifo", Mode: 0o644}}))
		}, ErrUnsafe},
		{"no manifest", func() []byte {
			es := clone()
			return writeEntries(t, es[:len(es)-1])
		}, ErrCorrupt},
		{"not an archive", func() []byte { return []byte("hello") }, ErrCorrupt},
	}
	cases = append(cases, struct {
		name string
		data func() []byte
		kind error
	}{"more than the restore limit", func() []byte {
		es := clone()
		big := entry{hdr: tar.Header{Typeflag: tar.TypeReg, Name: "upper/left4dead2/big.bin", Mode: 0o644}, data: make([]byte, 2<<20)}
		return writeEntries(t, slices.Insert(es, 2, big))
	}, ErrUnsafe})
	f.svc.cfg.MaxRestore = 1 << 20
	before := runtimeEntries(t, f.root)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.svc.Restore(ctx, bytes.NewReader(c.data()), RestoreOptions{Name: "tampered"})
			if err == nil {
				// So that the next case starts from the same state.
				_ = f.insts.Delete(ctx, "tampered")
			}
			if !errors.Is(err, ErrRefused) || !errors.Is(err, c.kind) {
				t.Fatalf("restore: %v, want a refusal (%v)", err, c.kind)
			}
			if _, err := f.insts.Get(ctx, "tampered"); !errors.Is(err, instance.ErrNotFound) {
				t.Errorf("an instance was created: %v", err)
			}
			if after := runtimeEntries(t, f.root); !slices.Equal(after, before) {
				t.Errorf("runtime/ and instances/ hold %v after the refusal, want %v", after, before)
			}
			for _, p := range []string{filepath.Join(f.root.Runtimes(), "x"), filepath.Join(f.root.String(), "x"), "/tmp/x"} {
				if _, err := os.Lstat(p); err == nil && p != "/tmp/x" {
					t.Errorf("%s was written", p)
				}
			}
		})
	}
	// The untouched archive is accepted: the cases fail for what they change.
	if _, err := f.svc.Restore(ctx, bytes.NewReader(writeEntries(t, clone())), RestoreOptions{Name: "intact"}); err != nil {
		t.Fatalf("the re-packed untouched archive: %v", err)
	}
}

// TestRestoreBadInput: a taken name, a bad name, a missing layer or owner
// are errors naming the field, with nothing created.
func TestRestoreBadInput(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	makeSource(t, f)
	b, err := f.svc.Backup(ctx, "src", Options{})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(b.Path)
	before := runtimeEntries(t, f.root)
	field := func(err error) string {
		var fe *instance.FieldError
		if errors.As(err, &fe) {
			return fe.Field
		}
		return ""
	}
	// Over the existing name, without a new one.
	_, err = f.svc.Restore(ctx, bytes.NewReader(raw), RestoreOptions{})
	if field(err) != FieldName || !errors.Is(err, instance.ErrExists) || !strings.Contains(err.Error(), "--name") {
		t.Errorf("restore over src: %v, want a name error saying --name", err)
	}
	_, err = f.svc.Restore(ctx, bytes.NewReader(raw), RestoreOptions{Name: "src"})
	if field(err) != FieldName {
		t.Errorf("restore --name src: %v", err)
	}
	_, err = f.svc.Restore(ctx, bytes.NewReader(raw), RestoreOptions{Name: "Bad Name"})
	if field(err) != FieldName {
		t.Errorf("restore --name 'Bad Name': %v", err)
	}
	// A host without the layer.
	if err := os.Rename(filepath.Join(f.root.Overlays(), "maps"), filepath.Join(f.root.String(), "maps-away")); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Restore(ctx, bytes.NewReader(raw), RestoreOptions{Name: "nolayer"})
	if field(err) != FieldLayers || !strings.Contains(err.Error(), "maps") || !strings.Contains(err.Error(), "restore again") {
		t.Errorf("restore without the layer: %v", err)
	}
	// Back, but without the generation the instance was on.
	if err := os.Rename(filepath.Join(f.root.String(), "maps-away"), filepath.Join(f.root.Overlays(), "maps")); err != nil {
		t.Fatal(err)
	}
	if after := runtimeEntries(t, f.root); !slices.Equal(after, before) {
		t.Errorf("refused restores left %v, want %v", after, before)
	}
	if err := os.Mkdir(f.root.Overlay("maps", "0003"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(f.root.Overlay("maps", "0002")); err != nil {
		t.Fatal(err)
	}
	res, err := f.svc.Restore(ctx, bytes.NewReader(raw), RestoreOptions{Name: "oldgen"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(res.Warnings, func(w string) bool {
		return strings.Contains(w, "generation 0002 is gone") && strings.Contains(w, "0003")
	}) {
		t.Errorf("warnings %q: want the gone generation named with the one used", res.Warnings)
	}
	// An owner this host lacks.
	if err := f.insts.Delete(ctx, "src"); err != nil {
		t.Fatal(err)
	}
	if err := f.insts.Delete(ctx, "oldgen"); err != nil {
		t.Fatal(err)
	}
	if err := f.st.DeleteUser(ctx, f.owner.ID); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Restore(ctx, bytes.NewReader(raw), RestoreOptions{})
	if field(err) != FieldOwner {
		t.Errorf("restore without the owner's account: %v", err)
	}
	// Retention.
	for _, c := range []struct {
		r     Retention
		field string
	}{{Retention{KeepDaily: -1, KeepWeekly: 1}, FieldKeepDaily}, {Retention{KeepDaily: 1, KeepWeekly: MaxKeep + 1}, FieldKeepWeekly}, {Retention{}, FieldKeepDaily}} {
		if err := f.svc.SetRetention(ctx, "x", c.r); field(err) != c.field {
			t.Errorf("SetRetention(%+v): %v, want field %s", c.r, err, c.field)
		}
	}
}

// TestRestoreKeepsThePins: a restored instance is pinned to the
// generations its source was pinned to, where this host has them; a pin
// to a generation that is gone is left out with a warning.
func TestRestoreKeepsThePins(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	makeSource(t, f)
	if _, err := f.insts.Update(ctx, "src", instance.Update{Pin: map[string]string{"maps": "0001", layout.PinInstallation: "0001"}}); err != nil {
		t.Fatal(err)
	}
	b, err := f.svc.Backup(ctx, "src", Options{})
	if err != nil {
		t.Fatal(err)
	}
	restore := func(name string) Result {
		t.Helper()
		file, err := os.Open(b.Path)
		if err != nil {
			t.Fatal(err)
		}
		defer file.Close()
		res, err := f.svc.Restore(ctx, file, RestoreOptions{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	res := restore("dst")
	if want := (layout.Pins{"maps": "0001", layout.PinInstallation: "0001"}); !reflect.DeepEqual(res.Instance.Pins, want) {
		t.Errorf("restored pins %v, want %v", res.Instance.Pins, want)
	}
	if err := os.RemoveAll(f.root.Overlay("maps", "0001")); err != nil {
		t.Fatal(err)
	}
	res = restore("dst2")
	if want := (layout.Pins{layout.PinInstallation: "0001"}); !reflect.DeepEqual(res.Instance.Pins, want) {
		t.Errorf("restored pins %v after maps/0001 went, want %v", res.Instance.Pins, want)
	}
	if !strings.Contains(strings.Join(res.Warnings, "\n"), "maps was pinned to generation 0001") {
		t.Errorf("no warning about the missing pinned generation: %q", res.Warnings)
	}
}

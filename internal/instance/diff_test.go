package instance

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestDiffOfARealOverlay: changes made through a real overlay mount (a new
// file, a changed one, a deleted one, a directory deleted and made again)
// are listed with what they shadow; revert brings the layer's file back.
func TestDiffOfARealOverlay(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount an overlay")
	}
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.svc.Create(ctx, Spec{Name: "d", OwnerID: f.owner, Layers: []string{"maps"}}); err != nil {
		t.Fatal(err)
	}
	inst := f.root.Installation("20260301")
	writeUpper(t, inst, map[string]string{
		"left4dead2/cfg/a.cfg":     "one\ntwo\nthree\n",
		"left4dead2/motd.txt":      "welcome\n",
		"left4dead2/maps/old1.bsp": "bsp",
	})
	writeUpper(t, f.root.Overlay("maps", "7"), map[string]string{"left4dead2/maps/m.bsp": "layer"})
	lower := f.root.Overlay("maps", "7") + ":" + inst
	merged := f.root.Merged("d")
	opts := "lowerdir=" + lower + ",upperdir=" + f.root.Upper("d") + ",workdir=" + f.root.Work("d")
	if err := unix.Mount("overlay", merged, "overlay", 0, opts); err != nil {
		t.Skipf("mount overlay: %v", err)
	}
	mounted := true
	unmount := func() {
		if mounted {
			if err := unix.Unmount(merged, 0); err != nil {
				t.Fatal(err)
			}
			mounted = false
			os.RemoveAll(filepath.Join(f.root.Work("d"), "work"))
		}
	}
	t.Cleanup(unmount)
	m := func(p string) string { return filepath.Join(merged, filepath.FromSlash(p)) }
	if err := os.WriteFile(m("left4dead2/cfg/a.cfg"), []byte("one\n2\nthree\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(m("left4dead2/cfg/new.cfg"), []byte("new\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(m("left4dead2/motd.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(m("left4dead2/maps")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(m("left4dead2/maps"), 0o755); err != nil {
		t.Fatal(err)
	}
	unmount()

	changes, err := f.svc.Diff(ctx, "d")
	if err != nil {
		t.Fatal(err)
	}
	byPath := map[string]Change{}
	for _, c := range changes {
		byPath[c.Path] = c
	}
	want := map[string]struct {
		kind    ChangeKind
		shadows string
	}{
		"left4dead2/cfg/a.cfg":   {Changed, "installation 20260301"},
		"left4dead2/cfg/new.cfg": {New, ""},
		"left4dead2/motd.txt":    {Deleted, "installation 20260301"},
		"left4dead2/maps":        {Opaque, "layer maps (7)"},
	}
	for p, w := range want {
		c, ok := byPath[p]
		if !ok {
			t.Errorf("%s not listed (got %+v)", p, changes)
			continue
		}
		if c.Kind != w.kind || c.Shadows != w.shadows {
			t.Errorf("%s: %s shadowing %q, want %s shadowing %q", p, c.Kind, c.Shadows, w.kind, w.shadows)
		}
	}
	if len(changes) != len(want) {
		t.Errorf("%d changes, want %d: %+v", len(changes), len(want), changes)
	}
	if c := byPath["left4dead2/cfg/a.cfg"]; !strings.Contains(c.Diff, "-two\n+2\n") || c.Size != int64(len("one\n2\nthree\n")) {
		t.Errorf("a.cfg: size %d, diff %q", c.Size, c.Diff)
	}
	if c := byPath["left4dead2/motd.txt"]; c.Type != "file" || c.Size != int64(len("welcome\n")) {
		t.Errorf("deleted motd.txt: %+v", c)
	}

	// Revert: the changed file is the layer's again, the deleted one back.
	for _, p := range []string{"left4dead2/cfg/a.cfg", "left4dead2/motd.txt"} {
		if err := f.svc.Revert(ctx, "d", p); err != nil {
			t.Fatal(err)
		}
	}
	changes, err = f.svc.Diff(ctx, "d")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range changes {
		if c.Path == "left4dead2/cfg/a.cfg" || c.Path == "left4dead2/motd.txt" {
			t.Errorf("%s still listed after revert", c.Path)
		}
	}
}

func TestDiffAndRevertRefuseBadInput(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.svc.Diff(ctx, "nosuch"); !errors.Is(err, ErrNotFound) {
		t.Errorf("diff of a missing instance: %v", err)
	}
	if _, err := f.svc.Create(ctx, Spec{Name: "r", OwnerID: f.owner}); err != nil {
		t.Fatal(err)
	}
	writeUpper(t, f.root.Upper("r"), map[string]string{"left4dead2/x.cfg": "x"})
	outside := filepath.Join(f.root.String(), "outside.txt")
	writeUpper(t, f.root.String(), map[string]string{"outside.txt": "keep"})
	if err := os.Symlink(f.root.String(), filepath.Join(f.root.Upper("r"), "link")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path string
		want       error
	}{
		{"parent", "../instances", ErrInvalid},
		{"deep parent", "left4dead2/../../r", ErrInvalid},
		{"absolute", outside, ErrInvalid},
		{"empty", "", ErrInvalid},
		{"the upper itself", ".", ErrInvalid},
		{"not in upper", "left4dead2/none.cfg", ErrInvalid},
		{"through a symlink", "link/outside.txt", ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := f.svc.Revert(ctx, "r", tt.path)
			var fe *FieldError
			if !errors.Is(err, tt.want) || !errors.As(err, &fe) || fe.Field != FieldPath {
				t.Errorf("err = %v, want a FieldError for %q", err, FieldPath)
			}
		})
	}
	if b, err := os.ReadFile(outside); err != nil || string(b) != "keep" {
		t.Error("a refused revert touched a file outside the upper")
	}
	f.sup.state["r"] = Running
	err := f.svc.Revert(ctx, "r", "left4dead2/x.cfg")
	var fe *FieldError
	if !errors.Is(err, ErrBusy) || !errors.As(err, &fe) || fe.Field != FieldPath || !strings.Contains(err.Error(), "stop it first") {
		t.Errorf("revert while running: %v", err)
	}
	if _, err := os.Lstat(filepath.Join(f.root.Upper("r"), "left4dead2/x.cfg")); err != nil {
		t.Error("a revert refused while running removed the file")
	}
	if err := f.svc.Revert(ctx, "nosuch", "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("revert in a missing instance: %v", err)
	}
}

// TestDiffStaysInsideLayers: a symlink in a layer pointing out of it does
// not make the diff read (and show) a file outside the layer.
func TestDiffStaysInsideLayers(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.svc.Create(ctx, Spec{Name: "s", OwnerID: f.owner, Layers: []string{"maps"}}); err != nil {
		t.Fatal(err)
	}
	writeUpper(t, f.root.String(), map[string]string{"secret/outside.txt": "secret\n"})
	layer := f.root.Overlay("maps", "7")
	if err := os.MkdirAll(filepath.Join(layer, "left4dead2"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(f.root.String(), "secret"), filepath.Join(layer, "left4dead2", "x")); err != nil {
		t.Fatal(err)
	}
	writeUpper(t, f.root.Upper("s"), map[string]string{"left4dead2/x/outside.txt": "mine\n"})
	changes, err := f.svc.Diff(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range changes {
		if strings.Contains(c.Diff, "secret") {
			t.Errorf("the diff shows a file outside the layers: %+v", c)
		}
		if c.Path == "left4dead2/x/outside.txt" && c.Kind != New {
			t.Errorf("%s: %s, want new (the layer has no such file inside it)", c.Path, c.Kind)
		}
	}
}

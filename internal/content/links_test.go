package content

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/archive"
	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/store"
)

// TestScriptLayerLinksRefused: a script layer's output holding a symbolic
// link (to /etc/shadow, or even to a file of its own) or a FIFO is refused
// at publish time; nothing is published and the build says why.
func TestScriptLayerLinksRefused(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	cases := []struct {
		name, script, path string
		want               error
	}{
		{"absolute", "mkdir -p left4dead2/cfg\nln -s /etc/shadow left4dead2/cfg/shadow.cfg\n", "left4dead2/cfg/shadow.cfg", archive.ErrLink},
		{"escaping", "mkdir -p left4dead2/cfg\nln -s ../../../../etc/passwd left4dead2/cfg/p.cfg\n", "left4dead2/cfg/p.cfg", archive.ErrLink},
		{"inside", "mkdir -p left4dead2/cfg\necho x > left4dead2/cfg/a.cfg\nln -s a.cfg left4dead2/cfg/b.cfg\n", "left4dead2/cfg/b.cfg", archive.ErrLink},
		{"directory", "mkdir -p left4dead2\nln -s . left4dead2/up\n", "left4dead2/up", archive.ErrLink},
		{"unreadable-directory", "mkdir -p left4dead2/d\nln -s /etc/shadow left4dead2/d/x\nchmod 000 left4dead2/d\n", "left4dead2/d/x", archive.ErrLink},
		{"fifo", "mkdir -p left4dead2\nmkfifo left4dead2/pipe\n", "left4dead2/pipe", archive.ErrSpecialFile},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id := "links-" + tc.name
			if _, err := e.svc.CreateScript(ctx, store.Layer{ID: id, Script: "set -e\n" + tc.script}); err != nil {
				t.Fatal(err)
			}
			rec := &recorder{}
			res, err := e.svc.Build(ctx, id, e.user, rec)
			var te *TreeError
			if !errors.Is(err, tc.want) || !errors.Is(err, ErrInvalid) || !errors.As(err, &te) || te.Path != tc.path {
				t.Fatalf("build = %v (%#v), want %v naming %s\n%s", err, te, tc.want, tc.path, rec.text())
			}
			if gens, _ := layout.Generations(filepath.Join(e.root.Overlays(), id)); len(gens) != 0 {
				t.Errorf("published %q", gens)
			}
			if _, err := os.Lstat(filepath.Join(res.BuildDir, BuildOutput)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("output left behind: %v", err)
			}
			bs, _ := e.st.ListContentBuilds(ctx, id, 1)
			if len(bs) != 1 || bs[0].Status != store.BuildFailed || !strings.Contains(bs[0].Error, tc.path) {
				t.Errorf("build record = %+v", bs)
			}
		})
	}
	// A build with only files and directories still publishes.
	if _, err := e.svc.CreateScript(ctx, store.Layer{ID: "plain", Script: "mkdir -p left4dead2/cfg\necho x > left4dead2/cfg/a.cfg\n"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Build(ctx, "plain", e.user, &recorder{}); err != nil {
		t.Fatal(err)
	}
}

// TestUploadLayerLinksRefused: an upload is published as the previous
// generation plus the upload; a link in that tree (a generation published
// before the rule, by hand) is refused at publish time like a link in the
// archive, and nothing is published.
func TestUploadLayerLinksRefused(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	z := zipOf(t, map[string]string{"a.vpk": "A1"})
	if _, err := e.svc.Upload(ctx, UploadSpec{LayerID: "maps", Path: "left4dead2/addons", R: bytes.NewReader(z), Size: int64(len(z))}, &recorder{}); err != nil {
		t.Fatal(err)
	}
	parent := filepath.Join(e.root.Overlays(), "maps")
	old := filepath.Join(t.TempDir(), "old")
	writeTree(t, old, map[string]string{"left4dead2/addons/a.vpk": "A1"})
	if err := os.Symlink("/etc/shadow", filepath.Join(old, "left4dead2", "shadow.txt")); err != nil {
		t.Fatal(err)
	}
	if _, err := Publish(parent, old, "", time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	before, _ := layout.Generations(parent)
	one := []byte("sv_cheats 0\n")
	_, err := e.svc.Upload(ctx, UploadSpec{LayerID: "maps", Path: "left4dead2/cfg/x.cfg", Format: archive.FormatFile, R: bytes.NewReader(one), Size: int64(len(one))}, &recorder{})
	var te *TreeError
	if !errors.Is(err, archive.ErrLink) || !errors.As(err, &te) || te.Path != "left4dead2/shadow.txt" || te.Target != "/etc/shadow" {
		t.Fatalf("upload onto a generation with a link = %v", err)
	}
	if after, _ := layout.Generations(parent); len(after) != len(before) {
		t.Errorf("generations %q → %q", before, after)
	}
}

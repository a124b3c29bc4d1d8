package instance

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/left4me/left4me/internal/overlay"
)

// FuzzLayerID: an accepted layer id always names a direct child of
// overlays/ and yields a path the overlay package accepts as a lowerdir.
func FuzzLayerID(f *testing.F) {
	for _, s := range []string{"zonemod", "..", ".", "a/b", "a:b", "", "x\x00", "ünïcode", "a b", strings.Repeat("a", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		if validateLayerID(id) != nil {
			return
		}
		parent := "/var/lib/left4me/overlays"
		p := filepath.Join(parent, id)
		if filepath.Dir(p) != parent || filepath.Base(p) != id {
			t.Fatalf("accepted id %q escapes overlays/: %s", id, p)
		}
		env := overlay.Env{LowerDirs: []string{filepath.Join(p, "1"), "/var/lib/left4me/installations/1"}, Port: 27015}
		if err := env.Validate(); err != nil {
			t.Fatalf("accepted id %q gives a lowerdir overlay refuses: %v", id, err)
		}
	})
}

// FuzzArgs: arguments accepted for an instance survive instance.env
// unchanged.
func FuzzArgs(f *testing.F) {
	f.Add("+map", "c1m1_hotel")
	f.Add("+hostname", `a "quoted" $name`)
	f.Add("-tickrate", "100\n")
	f.Fuzz(func(t *testing.T, a, b string) {
		args := []string{a, b}
		if validateArgs(args) != nil {
			return
		}
		env := overlay.Env{LowerDirs: []string{"/i"}, Port: 27015, Args: args}
		data, err := env.Encode()
		if err != nil {
			t.Fatalf("accepted args %q do not encode: %v", args, err)
		}
		back, err := overlay.ParseEnv(data)
		if err != nil {
			t.Fatalf("accepted args %q do not parse back: %v\n%s", args, err, data)
		}
		if strings.Join(back.Args, "\x00") != strings.Join(args, "\x00") {
			t.Fatalf("args %q came back as %q", args, back.Args)
		}
	})
}

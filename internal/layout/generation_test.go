package layout

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestGenerationsAndNewest(t *testing.T) {
	parent := filepath.Join(t.TempDir(), "installations")
	if gens, err := Generations(parent); err != nil || gens != nil {
		t.Errorf("missing parent: %q, %v; want none", gens, err)
	}
	if n, err := Newest(parent); err != nil || n != "" {
		t.Errorf("Newest of a missing parent = %q, %v", n, err)
	}
	for _, d := range []string{"000002-b", "000010-c", "000001-a", ".tmp-000011", ".000012"} {
		if err := os.MkdirAll(filepath.Join(parent, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// A file and a link to a directory: the file is no generation, the
	// link is (stat follows it).
	if err := os.WriteFile(filepath.Join(parent, "000099-file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("000001-a", filepath.Join(parent, "000003-link")); err != nil {
		t.Fatal(err)
	}
	gens, err := Generations(parent)
	if want := []string{"000001-a", "000002-b", "000003-link", "000010-c"}; err != nil || !reflect.DeepEqual(gens, want) {
		t.Errorf("Generations = %q, %v; want %q", gens, err, want)
	}
	if n, err := Newest(parent); err != nil || n != "000010-c" {
		t.Errorf("Newest = %q, %v; want 000010-c", n, err)
	}
}

package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWriteFileReplaces(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f.env")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, []byte("new"), Options{Perm: 0o640, UID: -1, GID: -1}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil || string(b) != "new" {
		t.Fatalf("content = %q, %v; want new", b, err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o640 {
		t.Fatalf("mode = %v, %v; want 0640", fi.Mode().Perm(), err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the file (no temporary left)", len(entries))
	}
}

func TestWriteFileFailureKeepsOldAndLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A missing directory fails before anything is written; as a normal
	// user, a chown to root fails after the temporary file exists.
	if err := WriteFile(filepath.Join(dir, "missing", "f"), []byte("x"), Options{Perm: 0o600, UID: -1, GID: -1}); err == nil {
		t.Fatal("write into a missing directory succeeded")
	}
	if os.Getuid() != 0 {
		if err := WriteFile(path, []byte("new"), Options{Perm: 0o600, UID: 0, GID: 0}); err == nil {
			t.Fatal("chown to root as a normal user succeeded")
		}
	}
	b, _ := os.ReadFile(path)
	if string(b) != "old" {
		t.Errorf("content = %q after failed writes, want old", b)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the old file", len(entries))
	}
}

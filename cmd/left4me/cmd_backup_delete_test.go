package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestBackupDeleteCommand: instance backup-delete removes one stored
// backup, named by file name or by the path `instance backups` prints,
// also of a deleted instance; an unknown one, a path elsewhere, another
// instance's backup and a file that is not a backup are refused with
// exit 1 naming it or the field, and nothing is removed. Each run is in
// the audit log under the panel's action.
func TestBackupDeleteCommand(t *testing.T) {
	f := newCLIFixture(t)
	f.must(t, "password-one\n", "user", "create", "olive")
	f.must(t, "", "instance", "create", "alpha", "--owner", "olive")
	f.must(t, "", "instance", "create", "beta", "--owner", "olive")
	madePath := regexp.MustCompile(`backed up \S+ to (\S+) \(`)
	backup := func(name string) string {
		t.Helper()
		m := madePath.FindStringSubmatch(f.must(t, "", "instance", "backup", name))
		if m == nil {
			t.Fatalf("instance backup %s printed no path", name)
		}
		return m[1]
	}
	alphaPath, betaPath := backup("alpha"), backup("beta")
	dir := filepath.Dir(alphaPath)
	// A second backup of alpha under another time.
	data, err := os.ReadFile(alphaPath)
	if err != nil {
		t.Fatal(err)
	}
	secondPath := filepath.Join(dir, "alpha-20260101T000000.000Z-scheduled.tar.zst")
	if err := os.WriteFile(secondPath, data, 0o600); err != nil {
		t.Fatal(err)
	}
	notes := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notes, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	alphaFile, betaFile := filepath.Base(alphaPath), filepath.Base(betaPath)

	for _, tt := range []struct {
		file string
		msg  []string
	}{
		{"alpha-20250101T000000.000Z-manual.tar.zst", []string{`alpha has no backup "alpha-20250101T000000.000Z-manual.tar.zst"`, "`left4me instance backups alpha` lists them"}},
		{betaFile, []string{"file: ", "is a backup of beta, not of alpha"}},
		{"../beta/" + betaFile, []string{"file: ", "is not the file name of a backup"}},
		{betaPath, []string{"file: ", "is not the file name of a backup"}},
		{"notes.txt", []string{"file: ", `"notes.txt" is not the file name of a backup`}},
		{"/etc/passwd", []string{"file: "}},
	} {
		code, _, errOut := f.run(t, "", "instance", "backup-delete", "alpha", tt.file)
		if code != 1 {
			t.Errorf("backup-delete alpha %s: exit %d, want 1\n%s", tt.file, code, errOut)
		}
		for _, m := range tt.msg {
			if !strings.Contains(errOut, m) {
				t.Errorf("backup-delete alpha %s: %q lacks %q", tt.file, errOut, m)
			}
		}
	}
	if code, _, _ := f.run(t, "", "instance", "backup-delete", "alpha"); code != 2 {
		t.Errorf("backup-delete without FILE: exit %d, want 2", code)
	}
	for _, p := range []string{alphaPath, secondPath, betaPath, notes} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("a refused delete removed %s: %v", p, err)
		}
	}

	// By file name, then by the path the list prints.
	if out := f.must(t, "", "instance", "backup-delete", "alpha", alphaFile); out != "deleted backup "+alphaFile+" of alpha\n" {
		t.Errorf("backup-delete said %q", out)
	}
	listed := f.must(t, "", "instance", "backups", "alpha")
	if strings.Contains(listed, alphaFile) || !strings.Contains(listed, secondPath) {
		t.Errorf("after the delete, instance backups lists:\n%s", listed)
	}
	f.must(t, "", "instance", "backup-delete", "alpha", secondPath)
	if listed := f.must(t, "", "instance", "backups", "alpha"); strings.Contains(listed, "alpha-") {
		t.Errorf("after deleting both, instance backups lists:\n%s", listed)
	}
	// The backups of a deleted instance stay until deleted.
	f.must(t, "", "instance", "delete", "beta", "--yes")
	f.must(t, "", "instance", "backup-delete", "beta", betaFile)
	if _, err := os.Stat(betaPath); !os.IsNotExist(err) {
		t.Errorf("beta's backup is still there: %v", err)
	}

	var got []string
	for _, e := range f.auditOf(t, "--action", "instances.backups.delete") {
		got = append(got, e.Target+" "+e.Result)
	}
	if len(got) != 9 || got[0] != "instance:beta ok" || got[2] != "instance:alpha ok" || !strings.Contains(got[8], "has no backup") {
		t.Errorf("audit entries of backup-delete (newest first):\n%s", strings.Join(got, "\n"))
	}
}

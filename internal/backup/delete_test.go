package backup

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/instance"
)

// TestDeleteRemovesOneBackup: Delete removes exactly the named backup of
// the instance, manual or scheduled; the retention's others stay.
func TestDeleteRemovesOneBackup(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	makeSource(t, f)
	day := time.Date(2026, 11, 20, 4, 0, 0, 0, time.UTC)
	f.svc.cfg.Now = func() time.Time { return day }
	manual, err := f.svc.Backup(ctx, "src", Options{})
	if err != nil {
		t.Fatal(err)
	}
	f.svc.cfg.Now = func() time.Time { return day.Add(time.Hour) }
	sched, err := f.svc.Backup(ctx, "src", Options{Kind: KindScheduled})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Delete(ctx, "src", manual.File); err != nil {
		t.Fatalf("delete %s: %v", manual.File, err)
	}
	if _, err := os.Stat(manual.Path); !os.IsNotExist(err) {
		t.Errorf("the deleted backup is still there: %v", err)
	}
	list, err := f.svc.List(ctx, "src")
	if err != nil || len(list) != 1 || list[0].File != sched.File {
		t.Errorf("after delete the list is %+v, %v; want only %s", list, err, sched.File)
	}
	if err := f.svc.Delete(ctx, "src", sched.File); err != nil {
		t.Fatalf("delete the scheduled %s: %v", sched.File, err)
	}
	if list, _ := f.svc.List(ctx, "src"); len(list) != 0 {
		t.Errorf("after deleting both: %+v", list)
	}
	if err := f.svc.Delete(ctx, "src", sched.File); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleting it twice: %v, want ErrNotFound", err)
	}
}

// TestDeleteRefusals: an unknown backup is ErrNotFound naming it; a path,
// "..", another instance's backup, a file that is not a backup and a link
// named like one are refused naming the field. Nothing is removed.
func TestDeleteRefusals(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	makeSource(t, f)
	if _, err := f.insts.Create(ctx, instance.Spec{Name: "other", OwnerID: f.owner.ID}); err != nil {
		t.Fatal(err)
	}
	mine, err := f.svc.Backup(ctx, "src", Options{})
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := f.svc.Backup(ctx, "other", Options{})
	if err != nil {
		t.Fatal(err)
	}
	notes := filepath.Join(f.svc.Dir(), "src", "notes.txt")
	writeFile(t, notes, "keep me")
	link := "src-20990101T000000.000Z-manual.tar.zst"
	if err := os.Symlink(theirs.Path, filepath.Join(f.svc.Dir(), "src", link)); err != nil {
		t.Fatal(err)
	}
	// A backup of src stored in the directory of other: not src's, by path.
	stray := "src-20980101T000000.000Z-manual.tar.zst"
	writeFile(t, filepath.Join(f.svc.Dir(), "other", stray), "x")

	for _, tt := range []struct {
		name, file string
		field      string // "" for ErrNotFound
		msg        string
	}{
		{"src", "src-20970101T000000.000Z-manual.tar.zst", "", `src has no backup "src-20970101T000000.000Z-manual.tar.zst"`},
		{"other", stray, FieldFile, "is a backup of src, not of other"},
		{"src", theirs.File, FieldFile, "is a backup of other, not of src"},
		{"src", "../other/" + theirs.File, FieldFile, "is not the file name of a backup"},
		{"src", "../other/" + stray, FieldFile, "is not the file name of a backup"},
		{"src", "./" + mine.File, FieldFile, "is not the file name of a backup"},
		{"src", "..", FieldFile, "is not the file name of a backup"},
		{"src", "", FieldFile, "is not the file name of a backup"},
		{"src", mine.Path, FieldFile, "is not the file name of a backup"},
		{"src", "notes.txt", FieldFile, "is not the file name of a backup"},
		{"src", link, FieldFile, "is not a backup file (a symbolic link)"},
		{"../other", theirs.File, FieldName, ""},
	} {
		err := f.svc.Delete(ctx, tt.name, tt.file)
		var fe *instance.FieldError
		switch {
		case err == nil:
			t.Errorf("Delete(%q, %q) removed something", tt.name, tt.file)
		case tt.field == "" && !errors.Is(err, ErrNotFound):
			t.Errorf("Delete(%q, %q): %v, want ErrNotFound", tt.name, tt.file, err)
		case tt.field != "" && (!errors.As(err, &fe) || fe.Field != tt.field):
			t.Errorf("Delete(%q, %q): %v, want a field error on %s", tt.name, tt.file, err, tt.field)
		case !strings.Contains(err.Error(), tt.msg):
			t.Errorf("Delete(%q, %q): %q lacks %q", tt.name, tt.file, err, tt.msg)
		}
	}
	for _, p := range []string{mine.Path, theirs.Path, notes, filepath.Join(f.svc.Dir(), "src", link), filepath.Join(f.svc.Dir(), "other", stray)} {
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("a refused delete removed %s: %v", p, err)
		}
	}
}

package backup

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestBackupIntoReadOnlyDirSaysWhatToDo: a backups directory on a
// read-only file system (what left4me-web.service's ProtectSystem=strict
// makes of any directory outside its ReadWritePaths=) fails the backup
// before anything is read, naming the directory and the drop-in line that
// fixes it, and leaves nothing behind.
func TestBackupIntoReadOnlyDirSaysWhatToDo(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a read-only file system")
	}
	f := newFixture(t)
	makeSource(t, f)
	dir := filepath.Join(t.TempDir(), "srv-backups")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("tmpfs", dir, "tmpfs", unix.MS_RDONLY, "mode=0700"); err != nil {
		t.Skipf("mount a read-only tmpfs: %v", err)
	}
	t.Cleanup(func() { _ = unix.Unmount(dir, unix.MNT_DETACH) })
	svc := New(Config{Root: f.root, Dir: dir, Instances: f.insts, Schedules: f.scheds, Store: f.st})

	_, err := svc.Backup(context.Background(), "src", Options{})
	if !errors.Is(err, ErrDirNotWritable) || !errors.Is(err, unix.EROFS) {
		t.Fatalf("backup into a read-only %s: %v; want ErrDirNotWritable wrapping EROFS", dir, err)
	}
	for _, want := range []string{dir, "ReadWritePaths=" + dir, "systemctl edit left4me-web.service", "LEFT4ME_BACKUP_DIR"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q: %v", want, err)
		}
	}
	if list, _ := svc.List(context.Background(), "src"); len(list) != 0 {
		t.Errorf("backups listed after the refusal: %+v", list)
	}
	// The same directory made writable: the backup goes there.
	if err := unix.Mount("", dir, "", unix.MS_REMOUNT, "mode=0700"); err != nil {
		t.Fatalf("remount read-write: %v", err)
	}
	b, err := svc.Backup(context.Background(), "src", Options{})
	if err != nil || filepath.Dir(b.Path) != filepath.Join(dir, "src") {
		t.Fatalf("backup into the writable %s: %+v, %v", dir, b, err)
	}
}

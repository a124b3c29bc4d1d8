package doctor

import (
	"context"
	"errors"
	"os"
	"testing"
)

func TestCheckStateRoot(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, d *Doctor)
		want  Status
		words []string
	}{
		{"good, reflinks", func(t *testing.T, d *Doctor) {}, OK, []string{"owned by left4me", "mode 0750", "reflinks work"}},
		{"good, no reflinks", func(t *testing.T, d *Doctor) { d.Reflink = fakeReflink{cloned: false} }, OK, []string{"no reflinks", "full copies"}},
		{"missing", func(t *testing.T, d *Doctor) { os.RemoveAll(d.Config.Root.String()) }, Fail, []string{"no such file", "systemd-tmpfiles --create"}},
		{"other owner", func(t *testing.T, d *Doctor) { d.Identity.Service.UID = os.Geteuid() + 4242 }, Fail, []string{"not left4me", "chown left4me:"}},
		{"world-writable", func(t *testing.T, d *Doctor) { os.Chmod(d.Config.Root.String(), 0o777) }, Fail, []string{"writable by everyone", "chmod 0750"}},
		{"world-readable", func(t *testing.T, d *Doctor) { os.Chmod(d.Config.Root.String(), 0o755) }, Warn, []string{"readable by others"}},
		{"no service user", func(t *testing.T, d *Doctor) { d.Identity.ServiceErr = errors.New("user left4me does not exist") }, Fail, []string{"does not exist", "systemd-sysusers"}},
		{"reflink test failed", func(t *testing.T, d *Doctor) { d.Reflink = fakeReflink{err: errors.New("permission denied")} }, Warn, []string{"reflink test failed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDoctor(t)
			tc.setup(t, d)
			expect(t, d.CheckStateRoot(context.Background()), "state-root", tc.want, tc.words...)
		})
	}
}

func TestCheckStateRootAsAnotherUserSaysWhatItCouldNotCheck(t *testing.T) {
	d := newDoctor(t)
	d.Identity.EUID = d.Identity.Service.UID + 1
	if d.Identity.root() {
		t.Skip("uid arithmetic made root")
	}
	d.Reflink = fakeReflink{err: errors.New("must not be called")}
	r := d.CheckStateRoot(context.Background())
	expect(t, r, "state-root", Warn, "run the doctor as root or left4me")
	if r.Unchecked == "" {
		t.Error("no word on the reflink test it skipped")
	}
}

// TestFileReflinkerReal runs the real FICLONE test on the test's temporary
// directory and removes its files.
func TestFileReflinkerReal(t *testing.T) {
	dir := t.TempDir()
	cloned, err := FileReflinker{}.Reflink(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("reflinks on %s (%s): %v", dir, fsType(dir), cloned)
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left behind: %v", entries)
	}
	if _, err := (FileReflinker{}).Reflink(dir + "/missing"); err == nil {
		t.Error("no error for a missing directory")
	}
}

func TestFSName(t *testing.T) {
	for magic, want := range map[int64]string{0xEF53: "ext4", 0x58465342: "xfs", 0x9123683E: "btrfs", 0x01021994: "tmpfs", 0x1234: "file system type 0x1234"} {
		if got := fsName(magic); got != want {
			t.Errorf("fsName(%#x) = %q, want %q", magic, got, want)
		}
	}
}

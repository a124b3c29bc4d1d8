package instance

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// copyAsEnv, set in a child test process, makes TestCopyTreeUnprivileged
// copy the tree it names (SRC:DST) and nothing else.
const copyAsEnv = "LEFT4ME_TEST_COPY_TREE"

// TestCopyTreeUnprivileged: what the unprivileged service user keeps of a
// root-mounted upper (docs/operations.md §4): the files and the whiteouts,
// but not the trusted.* opaque mark, which the kernel hides from it.
func TestCopyTreeUnprivileged(t *testing.T) {
	if spec := os.Getenv(copyAsEnv); spec != "" {
		src, dst := filepath.SplitList(spec)[0], filepath.SplitList(spec)[1]
		if err := copyTree(src, dst, nil); err != nil {
			t.Fatal(err)
		}
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root: makes a trusted.* mark and runs the copy as another user")
	}
	const nobody = 65534
	base, err := os.MkdirTemp("", "left4me-copytree-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	if err := os.Chmod(base, 0o777); err != nil {
		t.Fatal(err)
	}
	src, dst := filepath.Join(base, "src"), filepath.Join(base, "dst")
	writeUpper(t, src, map[string]string{"left4dead2/cfg/a.cfg": "a\n", "left4dead2/maps/m.bsp": "m"})
	if err := unix.Mknod(filepath.Join(src, "left4dead2/motd.txt"), unix.S_IFCHR, 0); err != nil {
		t.Fatal(err)
	}
	if err := unix.Setxattr(filepath.Join(src, "left4dead2/maps"), "trusted.overlay.opaque", []byte("y"), 0); err != nil {
		t.Skipf("no trusted.* attributes here: %v", err)
	}
	if err := filepath.Walk(src, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, nobody, nobody)
	}); err != nil {
		t.Fatal(err)
	}
	// The test binary, where the other user can run it.
	bin, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(base, "instance.test")
	if err := os.WriteFile(exe, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestCopyTreeUnprivileged$")
	cmd.Env = append(os.Environ(), copyAsEnv+"="+src+string(filepath.ListSeparator)+dst)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("copy as uid %d: %v\n%s", nobody, err, out)
	}
	if b, err := os.ReadFile(filepath.Join(dst, "left4dead2/cfg/a.cfg")); err != nil || string(b) != "a\n" {
		t.Errorf("file: %q, %v", b, err)
	}
	var st unix.Stat_t
	if err := unix.Lstat(filepath.Join(dst, "left4dead2/motd.txt"), &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != 0 {
		t.Errorf("the unprivileged copy has no whiteout (err=%v)", err)
	}
	if st.Uid != nobody {
		t.Errorf("the whiteout belongs to uid %d, want the copying user", st.Uid)
	}
	buf := make([]byte, 4)
	if _, err := unix.Getxattr(filepath.Join(dst, "left4dead2/maps"), "trusted.overlay.opaque", buf); err == nil {
		t.Error("the unprivileged copy has the trusted.* opaque mark, which docs/operations.md §4 says it loses: fix the document")
	}
	if isOpaque(filepath.Join(src, "left4dead2/maps")) != true {
		t.Error("isOpaque misses the mark as root")
	}
}

package overlay

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/left4me/left4me/internal/layout"
)

func statT(t testing.TB, path string) *syscall.Stat_t {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t)
}

// testChecker accepts a state root owned by the user running the tests, so
// that Load's validation can be tested without root.
func testChecker() checker {
	uid := uint32(os.Geteuid())
	return checker{
		ownerAllowed: func(u uint32) bool { return u == 0 || u == uid },
		ownerDesc:    fmt.Sprintf("root or uid %d", uid),
		// t.TempDir's parent belongs to the test user.
		ancestorAllowed: func(u uint32) bool { return u == 0 || u == uid },
	}
}

// testRoot is a state root in a temporary directory with one instance.
type testRoot struct {
	t    testing.TB
	root layout.Root
	name string
}

// newTestRoot creates a state root with a base installation, nlayers-1
// content layers on top of it (each holding a file named after it; the
// base holds "base.txt"), runtime/NAME/{upper,work,merged} and an
// instance.env listing the layers. pad lengthens each layer's path.
func newTestRoot(t testing.TB, nlayers int, pad int) *testRoot {
	t.Helper()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	root, err := layout.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := root.Create(0o755); err != nil {
		t.Fatal(err)
	}
	tr := &testRoot{t: t, root: root, name: "srv"}
	for _, d := range []string{root.Upper(tr.name), root.Work(tr.name), root.Merged(tr.name)} {
		tr.mkdir(d)
	}
	var lower []string
	for i := range nlayers - 1 {
		id := fmt.Sprintf("layer%03d", i)
		if pad > 0 {
			id += "-" + strings.Repeat("p", pad)
		}
		l := root.Overlay(id, "1")
		tr.mkdir(l)
		tr.write(filepath.Join(l, id+".txt"), id)
		tr.write(filepath.Join(l, "top.txt"), id) // the uppermost copy wins
		lower = append(lower, l)
	}
	base := root.Installation("1")
	tr.mkdir(base)
	tr.write(filepath.Join(base, "base.txt"), "base")
	tr.write(filepath.Join(base, "top.txt"), "base")
	lower = append(lower, base)
	tr.writeEnv(lower)
	return tr
}

func (tr *testRoot) mkdir(dir string) {
	tr.t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tr.t.Fatal(err)
	}
}

func (tr *testRoot) write(path, content string) {
	tr.t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		tr.t.Fatal(err)
	}
}

func (tr *testRoot) writeEnv(lower []string) {
	tr.t.Helper()
	tr.mkdir(tr.root.Instance(tr.name))
	if err := WriteEnvFile(tr.root.InstanceEnv(tr.name), Env{LowerDirs: lower, Port: 27015}, -1, -1); err != nil {
		tr.t.Fatal(err)
	}
}

func (tr *testRoot) writeRawEnv(content string) {
	tr.t.Helper()
	tr.write(tr.root.InstanceEnv(tr.name), content)
}

func (tr *testRoot) load() (Plan, error) { return testChecker().load(tr.root, tr.name) }

func (tr *testRoot) loadUnmount() (UnmountPlan, error) {
	return testChecker().loadUnmount(tr.root, tr.name)
}

// requireOverlay skips the test unless it runs as root on a kernel that can
// mount overlayfs here (probed by mounting one).
func requireOverlay(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: mounts overlayfs (CI runs as root)")
	}
	dir := t.TempDir()
	for _, d := range []string{"l", "u", "w", "m"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	opts := fmt.Sprintf("lowerdir=%s/l,upperdir=%s/u,workdir=%s/w", dir, dir, dir)
	if err := unix.Mount("overlay", filepath.Join(dir, "m"), "overlay", 0, opts); err != nil {
		t.Skipf("overlayfs not available here: %v", err)
	}
	if err := unix.Unmount(filepath.Join(dir, "m"), 0); err != nil {
		t.Fatalf("unmount probe: %v", err)
	}
}

// cleanupMount makes sure a failing test leaves nothing mounted.
func cleanupMount(t testing.TB, target string) {
	t.Cleanup(func() {
		for range 2 {
			if ok, _ := IsMounted(target); !ok {
				return
			}
			if err := unix.Unmount(target, 0); err != nil {
				t.Errorf("cleanup: unmount %s: %v", target, err)
				return
			}
		}
	})
}

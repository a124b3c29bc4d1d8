package overlay

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func TestLoad(t *testing.T) {
	tr := newTestRoot(t, 3, 0)
	r := tr.root
	// A layer named through a symlink inside the root resolves to its target.
	link := filepath.Join(string(r), "overlays", "current")
	if err := os.Symlink(r.Overlay("layer000", "1"), link); err != nil {
		t.Fatal(err)
	}
	tr.writeEnv([]string{link, r.Overlay("layer001", "1"), r.Installation("1")})

	p, err := tr.load()
	if err != nil {
		t.Fatal(err)
	}
	want := Plan{
		Root:   string(r),
		Name:   "srv",
		Lower:  []string{r.Overlay("layer000", "1"), r.Overlay("layer001", "1"), r.Installation("1")},
		Upper:  r.Upper("srv"),
		Work:   r.Work("srv"),
		Target: r.Merged("srv"),
	}
	if !slices.Equal(p.Lower, want.Lower) || p.Root != want.Root || p.Upper != want.Upper || p.Work != want.Work || p.Target != want.Target || p.Name != want.Name {
		t.Errorf("Load = %#v\nwant %#v", p, want)
	}
	line := "mount overlay lowerdir=" + want.Lower[0] + ":" + want.Lower[1] + ":" + want.Lower[2] +
		" upperdir=" + want.Upper + " workdir=" + want.Work + " target=" + want.Target
	if p.String() != line {
		t.Errorf("String() = %q\nwant       %q", p.String(), line)
	}
	u, err := tr.loadUnmount()
	if err != nil {
		t.Fatal(err)
	}
	if u.String() != "umount target="+want.Target+" remove="+want.Work+"/work" {
		t.Errorf("UnmountPlan.String() = %q", u.String())
	}
}

// TestLoadRefusals covers every refusal of the helper's validation, each
// with its own message.
func TestLoadRefusals(t *testing.T) {
	tests := []struct {
		name  string
		setup func(tr *testRoot) // breaks the root
		check *checker           // nil: testChecker
		inst  string             // instance name; "" means tr.name
		want  string
	}{
		{name: "bad name", inst: "Bad.Name", want: "invalid instance name"},
		{name: "name with slash", inst: "a/../b", want: "invalid instance name"},
		{name: "world-writable root", setup: func(tr *testRoot) { chmod(tr, string(tr.root), 0o777) }, want: "is world-writable"},
		{name: "root below a directory others may write", setup: func(tr *testRoot) {
			// A LEFT4ME_ROOT pointing into the service user's own tree.
			parent := filepath.Dir(string(tr.root))
			chmod(tr, parent, 0o777)
			tr.t.Cleanup(func() { os.Chmod(parent, 0o700) })
		}, want: "is writable by group or others"},
		{name: "root below a directory owned by another user", check: &checker{
			ownerAllowed:    func(uint32) bool { return true },
			ancestorAllowed: func(uint32) bool { return false },
		}, want: "every directory above the state root must be owned by root"},
		{name: "root owned by someone else", check: &checker{ownerAllowed: func(uint32) bool { return false }, ownerDesc: "root or the service user"}, want: "must be owned by root or the service user"},
		{name: "root missing", setup: func(tr *testRoot) { rmAll(tr, string(tr.root)) }, want: "state root"},
		{name: "instance.env missing", setup: func(tr *testRoot) { rm(tr, tr.root.InstanceEnv(tr.name)) }, want: "instance.env"},
		{name: "instance.env symlink", setup: func(tr *testRoot) {
			env := tr.root.InstanceEnv(tr.name)
			rename(tr, env, env+".real")
			symlink(tr, env+".real", env)
		}, want: "symlink"},
		{name: "instance.env fifo", setup: func(tr *testRoot) {
			env := tr.root.InstanceEnv(tr.name)
			rm(tr, env)
			if err := unix.Mkfifo(env, 0o644); err != nil {
				tr.t.Fatal(err)
			}
		}, want: "not a regular file"},
		{name: "instance.env bad syntax", setup: func(tr *testRoot) { tr.writeRawEnv("L4D2_PORT=1\nL4D2_LOWERDIRS='x\n") }, want: "unbalanced quote"},
		{name: "empty entry", setup: func(tr *testRoot) {
			tr.writeRawEnv("L4D2_PORT=1\nL4D2_LOWERDIRS=" + tr.root.Overlay("layer000", "1") + "::" + tr.root.Installation("1") + "\n")
		}, want: "entry 2 is empty"},
		{name: "duplicate entry", setup: func(tr *testRoot) {
			l := tr.root.Overlay("layer000", "1")
			tr.writeEnvUnchecked(l + ":" + l + ":" + tr.root.Installation("1"))
		}, want: "entry 2 " + `"` + "X/overlays/layer000/1" + `"` + " duplicates entry 1"},
		{name: "duplicate after resolving", setup: func(tr *testRoot) {
			l := tr.root.Overlay("layer000", "1")
			symlink(tr, l, filepath.Join(string(tr.root), "overlays", "alias"))
			tr.writeEnv([]string{l, filepath.Join(string(tr.root), "overlays", "alias"), tr.root.Installation("1")})
		}, want: "layer 2 X/overlays/alias is the same directory"},
		{name: "more than 500 layers", setup: func(tr *testRoot) { tr.writeEnvUnchecked(strings.Join(manyDirs(501), ":")) }, want: "has 501 layers: overlayfs allows at most 500"},
		{name: "layer missing", setup: func(tr *testRoot) {
			tr.writeEnv([]string{tr.root.Overlay("nope", "1"), tr.root.Installation("1")})
		}, want: "layer 1 X/overlays/nope/1 does not exist"},
		{name: "layer is a file", setup: func(tr *testRoot) {
			f := filepath.Join(string(tr.root), "overlays", "file")
			tr.write(f, "x")
			tr.writeEnv([]string{f, tr.root.Installation("1")})
		}, want: "is not a directory"},
		{name: "layer outside root", setup: func(tr *testRoot) {
			tr.writeEnv([]string{tr.t.TempDir(), tr.root.Installation("1")})
		}, want: "outside"},
		{name: "layer in instances", setup: func(tr *testRoot) {
			tr.writeEnv([]string{tr.root.Instance(tr.name), tr.root.Installation("1")})
		}, want: "outside"},
		{name: "layer is a parent itself", setup: func(tr *testRoot) {
			tr.writeEnv([]string{tr.root.Overlays(), tr.root.Installation("1")})
		}, want: "outside"},
		{name: "symlinked layer escaping root", setup: func(tr *testRoot) {
			outside := tr.t.TempDir()
			l := filepath.Join(string(tr.root), "overlays", "evil")
			symlink(tr, outside, l)
			tr.writeEnv([]string{l, tr.root.Installation("1")})
		}, want: "does not exist, or leads (through a symlink) outside"},
		{name: "layer outside root that does not exist", setup: func(tr *testRoot) {
			// Refused as outside before any lookup: the answer must not
			// tell the service user whether a path exists.
			tr.writeEnv([]string{"/nonexistent/left4me-layer", tr.root.Installation("1")})
		}, want: "layer 1 /nonexistent/left4me-layer is outside"},
		{name: "layer through a symlink to a missing outside path", setup: func(tr *testRoot) {
			// The same answer as for an existing outside directory.
			l := filepath.Join(string(tr.root), "overlays", "probe")
			symlink(tr, "/nonexistent/left4me-probe", l)
			tr.writeEnv([]string{l, tr.root.Installation("1")})
		}, want: "layer 1 X/overlays/probe does not exist, or leads (through a symlink) outside"},
		{name: "symlinked layer dotdot escape", setup: func(tr *testRoot) {
			l := filepath.Join(string(tr.root), "workshop", "evil")
			symlink(tr, "../instances", l)
			tr.writeEnv([]string{l, tr.root.Installation("1")})
		}, want: "outside"},
		{name: "layer parent is a symlink", setup: func(tr *testRoot) {
			outside := tr.t.TempDir()
			tr.mkdir(filepath.Join(outside, "x", "1"))
			rmAll(tr, tr.root.Workshop())
			symlink(tr, outside, tr.root.Workshop())
			tr.writeEnv([]string{filepath.Join(tr.root.Workshop(), "x", "1"), tr.root.Installation("1")})
		}, want: "outside"},
		{name: "missing base layer", setup: func(tr *testRoot) {
			tr.writeEnv([]string{tr.root.Overlay("layer000", "1")})
		}, want: "missing base layer"},
		{name: "base not last", setup: func(tr *testRoot) {
			tr.writeEnv([]string{tr.root.Installation("1"), tr.root.Overlay("layer000", "1")})
		}, want: "missing base layer"},
		{name: "upper missing", setup: func(tr *testRoot) { rmAll(tr, tr.root.Upper(tr.name)) }, want: "upper does not exist"},
		{name: "work missing", setup: func(tr *testRoot) { rmAll(tr, tr.root.Work(tr.name)) }, want: "work does not exist"},
		{name: "merged missing", setup: func(tr *testRoot) { rmAll(tr, tr.root.Merged(tr.name)) }, want: "merged does not exist"},
		{name: "runtime dir missing", setup: func(tr *testRoot) { rmAll(tr, tr.root.Runtime(tr.name)) }, want: "does not exist"},
		{name: "merged is a file", setup: func(tr *testRoot) {
			rmAll(tr, tr.root.Merged(tr.name))
			tr.write(tr.root.Merged(tr.name), "")
		}, want: "merged is not a directory"},
		{name: "symlinked merged pointing elsewhere", setup: func(tr *testRoot) {
			rmAll(tr, tr.root.Merged(tr.name))
			symlink(tr, tr.t.TempDir(), tr.root.Merged(tr.name))
		}, want: "merged is a symlink"},
		{name: "symlinked upper pointing to a sibling", setup: func(tr *testRoot) {
			rmAll(tr, tr.root.Upper(tr.name))
			tr.mkdir(filepath.Join(tr.root.Runtime(tr.name), "upper2"))
			symlink(tr, "upper2", tr.root.Upper(tr.name))
		}, want: "upper is a symlink"},
		{name: "symlinked work", setup: func(tr *testRoot) {
			rmAll(tr, tr.root.Work(tr.name))
			symlink(tr, tr.t.TempDir(), tr.root.Work(tr.name))
		}, want: "work is a symlink"},
		{name: "symlinked runtime dir", setup: func(tr *testRoot) {
			rt := tr.root.Runtime(tr.name)
			rename(tr, rt, rt+"-real")
			symlink(tr, rt+"-real", rt)
		}, want: "runtime/srv is a symlink"},
		{name: "fuse-overlayfs xattr on upper", setup: func(tr *testRoot) {
			setXattr(tr, tr.root.Upper(tr.name), "user.fuseoverlayfs.origin")
		}, want: "fuse-overlayfs attribute user.fuseoverlayfs.origin"},
		{name: "fuse-overlayfs xattr inside upper", setup: func(tr *testRoot) {
			d := filepath.Join(tr.root.Upper(tr.name), "left4dead2")
			tr.mkdir(d)
			setXattr(tr, d, "user.fuseoverlayfs.opaque")
		}, want: "wipe"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := newTestRoot(t, 3, 0)
			if tt.setup != nil {
				tt.setup(tr)
			}
			c := testChecker()
			if tt.check != nil {
				c = *tt.check
			}
			name := tr.name
			if tt.inst != "" {
				name = tt.inst
			}
			_, err := c.load(tr.root, name)
			want := strings.ReplaceAll(tt.want, "X/", string(tr.root)+"/")
			t.Logf("refused: %v", err)
			if err == nil {
				t.Fatalf("Load succeeded, want error containing %q", want)
			}
			if !strings.Contains(err.Error(), want) {
				t.Errorf("Load error:\n%v\nwant it to contain %q", err, want)
			}
		})
	}
}

func TestLoadUnmountRefusals(t *testing.T) {
	tests := []struct {
		name  string
		setup func(tr *testRoot)
		want  string
	}{
		{"symlinked merged", func(tr *testRoot) {
			rmAll(tr, tr.root.Merged(tr.name))
			symlink(tr, tr.t.TempDir(), tr.root.Merged(tr.name))
		}, "merged is a symlink"},
		{"symlinked runtime dir", func(tr *testRoot) {
			rt := tr.root.Runtime(tr.name)
			rename(tr, rt, rt+"-real")
			symlink(tr, rt+"-real", rt)
		}, "is a symlink"},
		{"world-writable root", func(tr *testRoot) { chmod(tr, string(tr.root), 0o757) }, "world-writable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := newTestRoot(t, 1, 0)
			tt.setup(tr)
			_, err := tr.loadUnmount()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("LoadUnmount error = %v, want %q", err, tt.want)
			}
		})
	}
	// Missing runtime directories are not an error for an unmount.
	tr := newTestRoot(t, 1, 0)
	rmAll(tr, tr.root.Runtime(tr.name))
	p, err := tr.loadUnmount()
	if err != nil {
		t.Fatalf("LoadUnmount without runtime dir: %v", err)
	}
	if did, err := Unmount(p); did || err != nil {
		t.Errorf("Unmount without runtime dir = %v, %v; want false, nil", did, err)
	}
}

// TestMountRejectsBadPlans: Mount re-checks a Plan's shape before touching
// anything, so a hand-built Plan cannot point the mount elsewhere.
func TestMountRejectsBadPlans(t *testing.T) {
	good := Plan{Root: "/r", Name: "a", Lower: []string{"/r/overlays/x/1", "/r/installations/1"},
		Upper: "/r/runtime/a/upper", Work: "/r/runtime/a/work", Target: "/r/runtime/a/merged"}
	tests := []struct {
		name   string
		mutate func(p *Plan)
		want   string
	}{
		{"bad name", func(p *Plan) { p.Name = "../x" }, "invalid instance name"},
		{"relative root", func(p *Plan) { p.Root = "r" }, "bad state root"},
		{"slash root", func(p *Plan) { p.Root = "/" }, "bad state root"},
		{"no layers", func(p *Plan) { p.Lower = nil }, "at least the base"},
		{"layer outside", func(p *Plan) { p.Lower[0] = "/etc" }, "outside the layer directories"},
		{"no base", func(p *Plan) { p.Lower = p.Lower[:1] }, "missing base layer"},
		{"target elsewhere", func(p *Plan) { p.Target = "/etc" }, "must be /r/runtime/a/{upper,work,merged}"},
		{"upper of another instance", func(p *Plan) { p.Upper = "/r/runtime/b/upper" }, "must be"},
		{"unknown technique", nil, ""},
	}
	for _, tt := range tests {
		if tt.mutate == nil {
			continue
		}
		t.Run(tt.name, func(t *testing.T) {
			p := good
			p.Lower = slices.Clone(good.Lower)
			tt.mutate(&p)
			_, err := Mount(p, MountOptions{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Mount error = %v, want %q", err, tt.want)
			}
		})
	}
	if _, err := Unmount(UnmountPlan{Root: "/r", Name: "a", Target: "/etc", Work: "/r/runtime/a/work"}); err == nil {
		t.Error("Unmount of a hand-built plan targeting /etc succeeded")
	}
}

func TestAPIParams(t *testing.T) {
	got := apiParams("left4me:a", []int{7, 8, 9}, 10, 11)
	want := []fsParam{
		{"source", "left4me:a"},
		{"lowerdir+", "/proc/self/fd/7"}, {"lowerdir+", "/proc/self/fd/8"}, {"lowerdir+", "/proc/self/fd/9"},
		{"upperdir", "/proc/self/fd/10"}, {"workdir", "/proc/self/fd/11"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("apiParams = %v\nwant %v", got, want)
	}
	// Every value must stay under fsconfig's 256-byte string limit.
	for _, p := range apiParams("left4me:"+strings.Repeat("a", 64), []int{1 << 30}, 1<<30, 1<<30) {
		if len(p.Value) >= 256 {
			t.Errorf("fsconfig value %q is %d bytes", p.Value, len(p.Value))
		}
	}
}

func TestLegacyData(t *testing.T) {
	fds := func(n, first int) []int {
		s := make([]int, n)
		for i := range s {
			s[i] = first + i
		}
		return s
	}
	tests := []struct {
		name        string
		lower       []int
		upper, work int
		limit       int
		want        string
		err         string
	}{
		{name: "one layer", lower: []int{5}, upper: 6, work: 7, limit: 4096, want: "lowerdir=5,upperdir=6,workdir=7"},
		{name: "order kept", lower: []int{9, 3, 12}, upper: 4, work: 5, limit: 4096, want: "lowerdir=9:3:12,upperdir=4,workdir=5"},
		{name: "exactly fits", lower: []int{1}, upper: 2, work: 3, limit: len("lowerdir=1,upperdir=2,workdir=3") + 1, want: "lowerdir=1,upperdir=2,workdir=3"},
		{name: "one byte over", lower: []int{1}, upper: 2, work: 3, limit: len("lowerdir=1,upperdir=2,workdir=3"), err: "over the 31-byte page limit"},
		{name: "500 layers fit a page", lower: fds(500, 1000), upper: 1500, work: 1501, limit: 4096},
		{name: "500 layers with huge fd numbers", lower: fds(500, 10000000), upper: 1, work: 2, limit: 4096, err: "lacks the fsconfig lowerdir+ option"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := legacyData(tt.lower, tt.upper, tt.work, tt.limit)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("legacyData error = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.want != "" && got != tt.want {
				t.Errorf("legacyData = %q, want %q", got, tt.want)
			}
			if len(got)+1 > tt.limit {
				t.Errorf("legacyData returned %d bytes, over the limit %d", len(got)+1, tt.limit)
			}
			if n := strings.Count(got, ":") + 1; n != len(tt.lower) {
				t.Errorf("legacyData lists %d layers, want %d", n, len(tt.lower))
			}
		})
	}
}

func TestIsMountedPlainDir(t *testing.T) {
	dir := t.TempDir()
	if ok, err := IsMounted(dir); ok || err != nil {
		t.Errorf("IsMounted(temp dir) = %v, %v", ok, err)
	}
	if ok, err := IsMounted("/proc"); !ok || err != nil {
		t.Errorf("IsMounted(/proc) = %v, %v", ok, err)
	}
	if _, err := IsMounted(filepath.Join(dir, "missing")); err == nil {
		t.Error("IsMounted(missing) succeeded")
	}
}

func TestRemoveAllAtDoesNotFollowSymlinks(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	keep := filepath.Join(outside, "keep.txt")
	if err := os.WriteFile(keep, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	ww := filepath.Join(dir, "work")
	for _, d := range []string{ww, filepath.Join(ww, "sub")} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(outside, filepath.Join(ww, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(ww, "sub", "link2")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ww, "sub", "f"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := removeAllAt(fd, "work"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(ww); !os.IsNotExist(err) {
		t.Errorf("work still exists: %v", err)
	}
	if _, err := os.Stat(keep); err != nil {
		t.Errorf("file behind a symlink was removed: %v", err)
	}
	// A symlink named work is unlinked, its target untouched.
	if err := os.Symlink(outside, ww); err != nil {
		t.Fatal(err)
	}
	if err := removeAllAt(fd, "work"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(keep); err != nil {
		t.Errorf("file behind a symlinked work was removed: %v", err)
	}
}

func (tr *testRoot) writeEnvUnchecked(lowerdirs string) {
	tr.t.Helper()
	tr.writeRawEnv("L4D2_LOWERDIRS=" + strconv.Quote(lowerdirs) + "\nL4D2_PORT=27015\n")
}

func chmod(tr *testRoot, path string, mode os.FileMode) {
	tr.t.Helper()
	if err := os.Chmod(path, mode); err != nil {
		tr.t.Fatal(err)
	}
}

func rm(tr *testRoot, path string) {
	tr.t.Helper()
	if err := os.Remove(path); err != nil {
		tr.t.Fatal(err)
	}
}

func rmAll(tr *testRoot, path string) {
	tr.t.Helper()
	if err := os.RemoveAll(path); err != nil {
		tr.t.Fatal(err)
	}
}

func rename(tr *testRoot, from, to string) {
	tr.t.Helper()
	if err := os.Rename(from, to); err != nil {
		tr.t.Fatal(err)
	}
}

func symlink(tr *testRoot, target, link string) {
	tr.t.Helper()
	if err := os.Symlink(target, link); err != nil {
		tr.t.Fatal(err)
	}
}

func setXattr(tr *testRoot, path, name string) {
	tr.t.Helper()
	if err := unix.Lsetxattr(path, name, []byte("x"), 0); err != nil {
		if err == syscall.ENOTSUP {
			tr.t.Skipf("user xattrs not supported on %s", path)
		}
		tr.t.Fatal(err)
	}
}

// TestAPIErrClassification: only errors meaning "this kernel cannot do it
// this way" make Mount fall back to mount(2); real failures are reported.
func TestAPIErrClassification(t *testing.T) {
	for _, tt := range []struct {
		err      error
		fallback bool
	}{
		{unix.ENOSYS, true}, {unix.EINVAL, true}, {unix.EOPNOTSUPP, true}, {unix.ENODEV, true},
		{unix.EPERM, false}, {unix.ENOENT, false}, {unix.EBUSY, false}, {unix.ELOOP, false},
	} {
		err := apiErr("fsconfig lowerdir+", tt.err, -1)
		if errors.Is(err, errUnsupported) != tt.fallback {
			t.Errorf("apiErr(%v): fallback = %v, want %v", tt.err, !tt.fallback, tt.fallback)
		}
		if !errors.Is(err, tt.err) {
			t.Errorf("apiErr(%v) = %v does not wrap the errno", tt.err, err)
		}
	}
}

// Package overlay validates and mounts an instance's overlayfs stack and
// reads and writes its instance.env.
//
// It is imported by the privileged helper cmd/left4me-overlay, which runs as
// root, so it depends only on the standard library, golang.org/x/sys and
// internal/layout. Everything under the state root is writable by the
// unprivileged service user; the code therefore treats every path there as
// hostile: Load validates, Mount re-opens each validated path without
// following symlinks and mounts through those file descriptors, so a path
// swapped between the check and the mount makes the mount fail instead of
// landing somewhere else.
//
// Decisions worth knowing:
//
//   - The state root must be owned by root or by the ServiceUser account
//     (looked up in the user database, never taken from the environment) and
//     must not be world-writable.
//   - A layer may be named through symlinks as long as it resolves to a
//     directory strictly inside installations/, overlays/ or workshop/; those
//     three, runtime/, runtime/NAME and upper, work and merged must be real
//     directories (bind-mount another disk rather than symlink it).
//   - A ':' in a layer path is refused, not escaped: L4D2_LOWERDIRS has no
//     escape for it, and the kernel never sees the paths anyway.
//   - The kernel is given /proc/self/fd/N names, so /proc/self/mountinfo
//     shows those instead of the layer paths; the mount source is
//     "left4me:NAME" and instance.env says which layers it holds.
//   - The helper creates nothing as root: a missing upper, work or merged is
//     an error (the instance service creates them as the service user).
package overlay

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/left4me/left4me/internal/layout"
)

// ServiceUser is the account instances run as. Besides root it is the only
// owner the state root may have.
const ServiceUser = "left4me"

// fuseOverlayXattrPrefix marks files written by fuse-overlayfs, which stores
// its whiteouts and metadata in user xattrs that kernel overlayfs ignores.
const fuseOverlayXattrPrefix = "user.fuseoverlayfs."

// Plan is a validated overlay mount of one instance. All paths are absolute
// with symlinks resolved.
type Plan struct {
	Root   string   // state root
	Name   string   // instance name
	Lower  []string // layers, uppermost first, base installation last
	Upper  string   // runtime/NAME/upper
	Work   string   // runtime/NAME/work
	Target string   // runtime/NAME/merged
}

// String is the one-line description left4me-overlay prints with
// LEFT4ME_OVERLAY_PRINT_ONLY=1.
func (p Plan) String() string {
	return fmt.Sprintf("mount overlay lowerdir=%s upperdir=%s workdir=%s target=%s",
		strings.Join(p.Lower, ":"), p.Upper, p.Work, p.Target)
}

// UnmountPlan is a validated unmount of one instance.
type UnmountPlan struct {
	Root   string // state root, symlinks resolved
	Name   string // instance name
	Target string // runtime/NAME/merged
	Work   string // runtime/NAME/work; its "work" subdirectory is removed
}

// String is the one-line description left4me-overlay prints with
// LEFT4ME_OVERLAY_PRINT_ONLY=1.
func (p UnmountPlan) String() string {
	return fmt.Sprintf("umount target=%s remove=%s", p.Target, filepath.Join(p.Work, "work"))
}

// checker holds what Load needs from the host; tests replace the owner rule.
type checker struct {
	ownerAllowed func(uid uint32) bool
	ownerDesc    string
	// ancestorAllowed says who may own the directories above the state
	// root; nil means root only.
	ancestorAllowed func(uid uint32) bool
}

func hostChecker() checker {
	allowed := map[uint32]bool{0: true}
	desc := fmt.Sprintf("root or the service user %q (no such user here)", ServiceUser)
	if id, ok := lookupUID("/etc/passwd", ServiceUser); ok {
		allowed[id] = true
		desc = fmt.Sprintf("root or the service user %q (uid %d)", ServiceUser, id)
	}
	return checker{ownerAllowed: func(uid uint32) bool { return allowed[uid] }, ownerDesc: desc}
}

// lookupUID finds name's uid in the passwd file at path.
//
// NOTE: not os/user: with cgo available it links the helper against libc,
// and a dynamically linked root helper would honour LD_PRELOAD and friends
// from the unit's environment, which includes instance.env. The service user
// is a system account that systemd-sysusers writes to /etc/passwd.
func lookupUID(path, name string) (uint32, bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	for line := range strings.Lines(string(data)) {
		f := strings.Split(strings.TrimRight(line, "\n"), ":")
		if len(f) < 3 || f[0] != name {
			continue
		}
		id, err := strconv.ParseUint(f[2], 10, 32)
		if err != nil {
			return 0, false
		}
		return uint32(id), true
	}
	return 0, false
}

// Load validates instance name's overlay from the files under root: the
// state root's ownership and mode, instances/NAME/instance.env, every layer
// (exists, is a directory, resolves inside installations/, overlays/ or
// workshop/, the last one inside installations/, no directory twice) and
// runtime/NAME/{upper,work,merged} (existing directories, not symlinks, upper
// free of fuse-overlayfs metadata). It reads but changes nothing.
func Load(root layout.Root, name string) (Plan, error) {
	return hostChecker().load(root, name)
}

// LoadUnmount validates what Unmount needs: the name, the state root, and
// that runtime/NAME and its merged directory, if present, are not symlinks.
func LoadUnmount(root layout.Root, name string) (UnmountPlan, error) {
	return hostChecker().loadUnmount(root, name)
}

func (c checker) load(root layout.Root, name string) (Plan, error) {
	if err := layout.ValidateName(name); err != nil {
		return Plan{}, err
	}
	real, rootFD, err := c.openRoot(root)
	if err != nil {
		return Plan{}, err
	}
	defer unix.Close(rootFD)
	rr := layout.Root(real)

	env, err := readEnvBeneath(rootFD, rr, name)
	if err != nil {
		return Plan{}, err
	}
	lower, err := resolveLayers(root, rr, env.LowerDirs)
	if err != nil {
		return Plan{}, err
	}
	p := Plan{Root: real, Name: name, Lower: lower, Upper: rr.Upper(name), Work: rr.Work(name), Target: rr.Merged(name)}
	if err := checkRuntimeDirs(rr, name, true); err != nil {
		return Plan{}, err
	}
	if err := checkNoFuseOverlay(rootFD, rr, name); err != nil {
		return Plan{}, err
	}
	return p, nil
}

func (c checker) loadUnmount(root layout.Root, name string) (UnmountPlan, error) {
	if err := layout.ValidateName(name); err != nil {
		return UnmountPlan{}, err
	}
	real, rootFD, err := c.openRoot(root)
	if err != nil {
		return UnmountPlan{}, err
	}
	unix.Close(rootFD)
	rr := layout.Root(real)
	if err := checkRuntimeDirs(rr, name, false); err != nil {
		return UnmountPlan{}, err
	}
	return UnmountPlan{Root: real, Name: name, Target: rr.Merged(name), Work: rr.Work(name)}, nil
}

// openRoot resolves the state root, checks its owner and mode, and returns
// the resolved path and an O_PATH descriptor of it.
func (c checker) openRoot(root layout.Root) (string, int, error) {
	real, err := filepath.EvalSymlinks(root.String())
	if err != nil {
		return "", -1, fmt.Errorf("state root %s: %w", root, err)
	}
	if real == "/" {
		return "", -1, fmt.Errorf("state root %s: resolves to /", root)
	}
	fd, err := unix.Open(real, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", -1, fmt.Errorf("state root %s: open %s: %w", root, real, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return "", -1, fmt.Errorf("state root %s: stat: %w", root, err)
	}
	if !c.ownerAllowed(st.Uid) {
		unix.Close(fd)
		return "", -1, fmt.Errorf("state root %s is owned by uid %d: it must be owned by %s", real, st.Uid, c.ownerDesc)
	}
	if st.Mode&0o002 != 0 {
		unix.Close(fd)
		return "", -1, fmt.Errorf("state root %s is world-writable (mode %04o): refused", real, st.Mode&0o7777)
	}
	if err := c.checkAncestors(real); err != nil {
		unix.Close(fd)
		return "", -1, fmt.Errorf("state root %s: %w", real, err)
	}
	return real, fd, nil
}

// checkAncestors refuses a state root below a directory that anyone but
// root (tests: the ancestor rule) could rename or replace. LEFT4ME_ROOT
// reaches the helper through the unit's environment, which includes the
// service user's instance.env, so a root inside the service user's own
// tree (say overlays/x, with runtime/ and installations/ of its making)
// must be refused: its path could be re-pointed between Load and Mount.
// A sticky directory such as /tmp is fine: only its owner may rename
// entries in it.
func (c checker) checkAncestors(real string) error {
	allowed := c.ancestorAllowed
	if allowed == nil {
		allowed = func(uid uint32) bool { return uid == 0 }
	}
	for dir := filepath.Dir(real); ; dir = filepath.Dir(dir) {
		var st unix.Stat_t
		if err := unix.Lstat(dir, &st); err != nil {
			return fmt.Errorf("check ancestor %s: %w", dir, err)
		}
		switch {
		case !allowed(st.Uid):
			return fmt.Errorf("ancestor %s is owned by uid %d: every directory above the state root must be owned by root", dir, st.Uid)
		case st.Mode&0o022 != 0 && st.Mode&unix.S_ISVTX == 0:
			return fmt.Errorf("ancestor %s is writable by group or others (mode %04o) without the sticky bit: refused", dir, st.Mode&0o7777)
		}
		if dir == "/" {
			return nil
		}
	}
}

// readEnvBeneath opens instances/NAME/instance.env without following any
// symlink (the helper must not be a way to read other files as root) and
// parses it.
func readEnvBeneath(rootFD int, rr layout.Root, name string) (Env, error) {
	path := rr.InstanceEnv(name)
	rel, _ := filepath.Rel(string(rr), path)
	// O_NONBLOCK: opening a FIFO planted there must not hang the helper.
	fd, err := openBeneath(rootFD, rel, unix.O_RDONLY|unix.O_NONBLOCK)
	if err != nil {
		return Env{}, fmt.Errorf("instance.env %s: %w", path, describeOpenErr(err))
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Env{}, fmt.Errorf("instance.env %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return Env{}, fmt.Errorf("instance.env %s: not a regular file", path)
	}
	data, err := readLimited(f)
	if err != nil {
		return Env{}, fmt.Errorf("instance.env %s: %w", path, err)
	}
	env, err := ParseEnv(data)
	if err != nil {
		return Env{}, fmt.Errorf("%s: %w", path, err)
	}
	return env, nil
}

// resolveLayers resolves each layer and checks where it lands. dirs has
// passed validateLowerDirs. configured is the state root as given, rr the
// same with symlinks resolved.
//
// NOTE: the helper runs as root and its messages reach the service user's
// journal: a layer must name a path below the layer directories before it is
// resolved at all (no root-privileged walk of /proc, /root or an automount
// point named by instance.env), and a layer that resolves outside is refused
// without saying where it led or whether that exists.
func resolveLayers(configured, rr layout.Root, dirs []string) ([]string, error) {
	parents := rr.LayerParents()
	named := append(configured.LayerParents(), parents...)
	out := make([]string, len(dirs))
	seen := make(map[string]int, len(dirs))
	for i, d := range dirs {
		n := i + 1
		if !insideAny(d, named) {
			return nil, fmt.Errorf("layer %d %s is outside %s/, %s/ and %s/: refused",
				n, d, parents[0], parents[1], parents[2])
		}
		// One message for "missing" and "leads outside", with no error
		// detail (a PathError names the partly resolved path): what lies
		// outside the root is none of the service user's business.
		res, err := filepath.EvalSymlinks(d)
		if err != nil || !insideAny(res, parents) {
			return nil, fmt.Errorf("layer %d %s does not exist, or leads (through a symlink) outside %s/, %s/ and %s/",
				n, d, parents[0], parents[1], parents[2])
		}
		if strings.ContainsRune(res, ':') || checkText(res) != nil {
			return nil, fmt.Errorf("layer %d %s resolves to %q, which contains ':' or control characters", n, d, res)
		}
		fi, err := os.Stat(res)
		if err != nil {
			return nil, fmt.Errorf("layer %d %s: %w", n, d, err)
		}
		if !fi.IsDir() {
			return nil, fmt.Errorf("layer %d %s (%s) is not a directory", n, d, res)
		}
		if j, dup := seen[res]; dup {
			return nil, fmt.Errorf("layer %d %s is the same directory (%s) as layer %d", n, d, res, j)
		}
		seen[res] = n
		out[i] = res
	}
	if last := out[len(out)-1]; !inside(last, rr.Installations()) {
		return nil, fmt.Errorf("missing base layer: the last layer %s (%s) is not inside %s/", dirs[len(dirs)-1], last, rr.Installations())
	}
	return out, nil
}

// inside reports whether path lies strictly below dir.
func inside(path, dir string) bool {
	return strings.HasPrefix(path, dir+"/") && len(path) > len(dir)+1
}

func insideAny(path string, dirs []string) bool {
	for _, d := range dirs {
		if inside(path, d) {
			return true
		}
	}
	return false
}

// checkRuntimeDirs checks runtime/, runtime/NAME and its upper, work and
// merged with lstat. For a mount all three must exist: the instance service
// creates them as the service user; the helper never creates them as root.
// For an unmount missing directories are fine (nothing to do).
func checkRuntimeDirs(rr layout.Root, name string, forMount bool) error {
	for _, dir := range []string{rr.Runtimes(), rr.Runtime(name)} {
		fi, err := os.Lstat(dir)
		if errors.Is(err, os.ErrNotExist) && !forMount {
			return nil
		}
		if err := wantDir(dir, fi, err, "the instance service creates it before start"); err != nil {
			return err
		}
	}
	for _, dir := range []string{rr.Upper(name), rr.Work(name), rr.Merged(name)} {
		fi, err := os.Lstat(dir)
		if errors.Is(err, os.ErrNotExist) && !forMount {
			continue
		}
		if err := wantDir(dir, fi, err, "the instance service creates upper, work and merged before start"); err != nil {
			return err
		}
	}
	return nil
}

func wantDir(dir string, fi os.FileInfo, err error, hint string) error {
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("%s does not exist (%s)", dir, hint)
	case err != nil:
		return fmt.Errorf("%s: %w", dir, err)
	case fi.Mode()&os.ModeSymlink != 0:
		return fmt.Errorf("%s is a symlink: runtime/, runtime/NAME and its upper, work and merged must be real directories, not symlinks", dir)
	case !fi.IsDir():
		return fmt.Errorf("%s is not a directory", dir)
	}
	return nil
}

// checkNoFuseOverlay refuses an upper (or work) directory left by
// fuse-overlayfs: kernel overlayfs would misread its whiteouts. It looks at
// upper, its direct entries and work, opening the directories without
// following symlinks and never following a symlink entry.
func checkNoFuseOverlay(rootFD int, rr layout.Root, name string) error {
	upper, work := rr.Upper(name), rr.Work(name)
	var fds []int
	defer func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	}()
	for _, dir := range []string{upper, work} {
		fd, err := openBeneath(rootFD, strings.TrimPrefix(dir, string(rr)+"/"), unix.O_RDONLY|unix.O_DIRECTORY)
		if err != nil {
			return fmt.Errorf("check %s for fuse-overlayfs metadata: %w", dir, describeOpenErr(err))
		}
		fds = append(fds, fd)
	}
	paths := []string{fdPath(fds[0]), fdPath(fds[1])}
	shown := []string{upper, work}
	// Read the entries through a duplicate: the *os.File closes its own
	// descriptor.
	dup, err := unix.Dup(fds[0])
	if err != nil {
		return fmt.Errorf("check %s for fuse-overlayfs metadata: %w", upper, err)
	}
	f := os.NewFile(uintptr(dup), upper)
	entries, err := f.ReadDir(-1)
	f.Close()
	if err != nil {
		return fmt.Errorf("check %s for fuse-overlayfs metadata: %w", upper, err)
	}
	for _, e := range entries {
		paths = append(paths, fdPath(fds[0])+"/"+e.Name())
		shown = append(shown, filepath.Join(upper, e.Name()))
	}
	for i, p := range paths {
		// The two directories are named by their /proc/self/fd link, which
		// must be followed; entries must not be.
		names, err := listXattrs(p, i < 2)
		if err != nil {
			return fmt.Errorf("check %s for fuse-overlayfs metadata: %w", shown[i], err)
		}
		for _, n := range names {
			if strings.HasPrefix(n, fuseOverlayXattrPrefix) {
				return fmt.Errorf("%s carries the fuse-overlayfs attribute %s: this instance was run with fuse-overlayfs; "+
					"wipe %s and %s (empty both directories) before mounting it with kernel overlayfs", shown[i], n, upper, work)
			}
		}
	}
	return nil
}

// listXattrs lists the extended attribute names of path, following a final
// symlink only if follow is set.
func listXattrs(path string, follow bool) ([]string, error) {
	list := unix.Llistxattr
	if follow {
		list = unix.Listxattr
	}
	size, err := list(path, nil)
	if errors.Is(err, unix.ENOTSUP) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if size == 0 {
		return nil, nil
	}
	buf := make([]byte, size)
	size, err = list(path, buf)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, n := range strings.Split(string(buf[:size]), "\x00") {
		if n != "" {
			names = append(names, n)
		}
	}
	return names, nil
}

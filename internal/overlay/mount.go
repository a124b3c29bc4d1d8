package overlay

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/left4me/left4me/internal/layout"
)

// Technique is how Mount asked the kernel for the overlay.
type Technique string

const (
	// TechniqueAuto tries TechniqueMountAPI, then TechniqueLegacy.
	TechniqueAuto Technique = ""
	// TechniqueMountAPI is fsopen/fsconfig("lowerdir+", one layer per
	// call)/fsmount/move_mount, Linux 6.8+. No length limit on the stack.
	TechniqueMountAPI Technique = "fsopen-lowerdir+"
	// TechniqueLegacy is mount(2) with its one-page option string. The
	// layers are passed as /proc/self/fd entries relative to a per-thread
	// working directory of /proc/self/fd, about four bytes per layer
	// whatever the length of the layer's path.
	TechniqueLegacy Technique = "mount2-procfd"
)

// MountOptions tune Mount. The zero value is what production uses.
type MountOptions struct {
	// Technique forces one technique (tests and benchmarks); TechniqueAuto
	// picks the best the kernel offers.
	Technique Technique
}

// MountResult says what Mount did.
type MountResult struct {
	// AlreadyMounted is true when an overlay was already mounted on the
	// target and nothing was done: a repeated mount is not an error.
	AlreadyMounted bool
	// Technique is the technique that mounted the overlay ("" when
	// AlreadyMounted).
	Technique Technique
}

// overlayfsMagic is OVERLAYFS_SUPER_MAGIC, the f_type statfs reports.
const overlayfsMagic = 0x794c7630

// resolveFlags make openat2 refuse any symlink and any escape from the state
// root: the paths in a Plan are already resolved, so a symlink found now was
// planted after validation.
const resolveFlags = unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS

// Mount mounts the overlay described by p on p.Target. If an overlay is
// already mounted there it does nothing and reports AlreadyMounted. Every
// directory is reopened relative to the state root without following
// symlinks, and the kernel is handed those descriptors, never the paths.
func Mount(p Plan, o MountOptions) (res MountResult, err error) {
	if err := p.check(); err != nil {
		return MountResult{}, err
	}
	rootFD, err := unix.Open(p.Root, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return MountResult{}, fmt.Errorf("mount %s: open state root: %w", p.Name, err)
	}
	defer unix.Close(rootFD)

	var fds []int
	defer func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	}()
	open := func(path string) (int, error) {
		rel := strings.TrimPrefix(path, p.Root+"/")
		fd, err := openBeneath(rootFD, rel, unix.O_PATH|unix.O_DIRECTORY)
		if err != nil {
			return -1, fmt.Errorf("mount %s: open %s: %w", p.Name, path, describeOpenErr(err))
		}
		fds = append(fds, fd)
		return fd, nil
	}
	target, err := open(p.Target)
	if err != nil {
		return MountResult{}, err
	}
	mounted, err := isMountRootFD(target)
	if err != nil {
		return MountResult{}, fmt.Errorf("mount %s: %w", p.Name, err)
	}
	if mounted {
		var sfs unix.Statfs_t
		if err := unix.Fstatfs(target, &sfs); err != nil {
			return MountResult{}, fmt.Errorf("mount %s: statfs %s: %w", p.Name, p.Target, err)
		}
		if sfs.Type != overlayfsMagic {
			return MountResult{}, fmt.Errorf("mount %s: %s already has a non-overlay filesystem (type %#x) mounted: refused", p.Name, p.Target, sfs.Type)
		}
		return MountResult{AlreadyMounted: true}, nil
	}
	lower := make([]int, len(p.Lower))
	for i, l := range p.Lower {
		if lower[i], err = open(l); err != nil {
			return MountResult{}, err
		}
	}
	upper, err := open(p.Upper)
	if err != nil {
		return MountResult{}, err
	}
	work, err := open(p.Work)
	if err != nil {
		return MountResult{}, err
	}

	// NOTE: mountinfo shows the layers as the /proc/self/fd names they were
	// passed by; the source names the instance instead.
	src := MountSource(p.Name)
	switch o.Technique {
	case TechniqueMountAPI:
		if err := mountAPI(src, lower, upper, work, target); err != nil {
			return MountResult{}, fmt.Errorf("mount %s: %w", p.Name, err)
		}
		return MountResult{Technique: TechniqueMountAPI}, nil
	case TechniqueLegacy:
		if err := mountLegacy(src, lower, upper, work, target); err != nil {
			return MountResult{}, fmt.Errorf("mount %s: %w", p.Name, err)
		}
		return MountResult{Technique: TechniqueLegacy}, nil
	case TechniqueAuto:
		apiErr := mountAPI(src, lower, upper, work, target)
		if apiErr == nil {
			return MountResult{Technique: TechniqueMountAPI}, nil
		}
		if !errors.Is(apiErr, errUnsupported) {
			return MountResult{}, fmt.Errorf("mount %s: %w", p.Name, apiErr)
		}
		if err := mountLegacy(src, lower, upper, work, target); err != nil {
			return MountResult{}, fmt.Errorf("mount %s: %w (and the new mount API: %v)", p.Name, err, apiErr)
		}
		return MountResult{Technique: TechniqueLegacy}, nil
	default:
		return MountResult{}, fmt.Errorf("mount %s: unknown technique %q", p.Name, o.Technique)
	}
}

// check re-validates the shape of a Plan (callers may build one by hand).
func (p Plan) check() error {
	if err := layout.ValidateName(p.Name); err != nil {
		return err
	}
	if !filepath.IsAbs(p.Root) || filepath.Clean(p.Root) != p.Root || p.Root == "/" {
		return fmt.Errorf("plan for %s: bad state root %q", p.Name, p.Root)
	}
	rr := layout.Root(p.Root)
	if err := validateLowerDirs(p.Lower); err != nil {
		return fmt.Errorf("plan for %s: %w", p.Name, err)
	}
	for _, l := range p.Lower {
		if !insideAny(l, rr.LayerParents()) {
			return fmt.Errorf("plan for %s: layer %s is outside the layer directories of %s", p.Name, l, p.Root)
		}
	}
	if !inside(p.Lower[len(p.Lower)-1], rr.Installations()) {
		return fmt.Errorf("plan for %s: missing base layer: %s is not inside %s/", p.Name, p.Lower[len(p.Lower)-1], rr.Installations())
	}
	if p.Upper != rr.Upper(p.Name) || p.Work != rr.Work(p.Name) || p.Target != rr.Merged(p.Name) {
		return fmt.Errorf("plan for %s: upper, work and target must be %s/{upper,work,merged}", p.Name, rr.Runtime(p.Name))
	}
	return nil
}

// MountSource is the device name an instance's overlay carries in
// /proc/self/mountinfo ("left4me:NAME").
func MountSource(name string) string { return "left4me:" + name }

// fsParam is one fsconfig(FSCONFIG_SET_STRING) call.
type fsParam struct{ Key, Value string }

func fdPath(fd int) string { return "/proc/self/fd/" + strconv.Itoa(fd) }

// apiParams lists the fsconfig calls of the new mount API: the source (what
// mountinfo shows as the device), one "lowerdir+" per layer, uppermost first, then upperdir and workdir. Each value is a
// /proc/self/fd path, well under fsconfig's 256-byte string limit.
func apiParams(source string, lower []int, upper, work int) []fsParam {
	ps := make([]fsParam, 0, len(lower)+3)
	ps = append(ps, fsParam{"source", source})
	for _, fd := range lower {
		ps = append(ps, fsParam{"lowerdir+", fdPath(fd)})
	}
	return append(ps, fsParam{"upperdir", fdPath(upper)}, fsParam{"workdir", fdPath(work)})
}

// legacyData builds the mount(2) option string with every directory named
// by its descriptor number relative to /proc/self/fd, and fails when even
// that does not fit in limit bytes (one page including the NUL).
func legacyData(lower []int, upper, work, limit int) (string, error) {
	var b strings.Builder
	b.WriteString("lowerdir=")
	for i, fd := range lower {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(strconv.Itoa(fd))
	}
	fmt.Fprintf(&b, ",upperdir=%d,workdir=%d", upper, work)
	if b.Len()+1 > limit {
		return "", fmt.Errorf("the mount(2) option string for %d layers is %d bytes, over the %d-byte page limit, and this kernel lacks the fsconfig lowerdir+ option (Linux 6.8+)",
			len(lower), b.Len()+1, limit)
	}
	return b.String(), nil
}

// errUnsupported marks failures of the new mount API that mean "this kernel
// cannot do it this way", after which Mount falls back to mount(2).
var errUnsupported = errors.New("not supported by this kernel")

func mountAPI(source string, lower []int, upper, work, target int) error {
	fsfd, err := unix.Fsopen("overlay", unix.FSOPEN_CLOEXEC)
	if err != nil {
		return apiErr("fsopen overlay", err, -1)
	}
	defer unix.Close(fsfd)
	for _, p := range apiParams(source, lower, upper, work) {
		if err := unix.FsconfigSetString(fsfd, p.Key, p.Value); err != nil {
			return apiErr(fmt.Sprintf("fsconfig %s=%s", p.Key, p.Value), err, fsfd)
		}
	}
	if err := unix.FsconfigCreate(fsfd); err != nil {
		return apiErr("fsconfig create", err, fsfd)
	}
	mfd, err := unix.Fsmount(fsfd, unix.FSMOUNT_CLOEXEC, unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NODEV)
	if err != nil {
		return apiErr("fsmount", err, fsfd)
	}
	defer unix.Close(mfd)
	if err := unix.MoveMount(mfd, "", target, "", unix.MOVE_MOUNT_F_EMPTY_PATH|unix.MOVE_MOUNT_T_EMPTY_PATH); err != nil {
		return fmt.Errorf("move_mount: %w", err)
	}
	return nil
}

// apiErr wraps a new-mount-API error with the kernel's messages from the
// fs context and marks the errnos that mean "unsupported": ENOSYS (no
// fsopen), ENODEV/EOPNOTSUPP, and EINVAL, which is what kernels before 6.8
// return for "lowerdir+" (at fsconfig or, through the legacy fs context, at
// create).
func apiErr(step string, err error, fsfd int) error {
	msg := fmt.Sprintf("%s: %v", step, err)
	if fsfd >= 0 {
		if log := readFsLog(fsfd); log != "" {
			msg += " (kernel: " + log + ")"
		}
	}
	switch {
	case errors.Is(err, unix.ENOSYS), errors.Is(err, unix.ENODEV),
		errors.Is(err, unix.EOPNOTSUPP), errors.Is(err, unix.EINVAL):
		return fmt.Errorf("%s: %w: %w", msg, errUnsupported, err)
	}
	return fmt.Errorf("%s: %w", msg, err)
}

// readFsLog drains the messages the kernel queued on an fs context.
func readFsLog(fsfd int) string {
	var msgs []string
	buf := make([]byte, 1024)
	for range 16 {
		n, err := unix.Read(fsfd, buf)
		if err != nil || n <= 0 {
			break
		}
		msgs = append(msgs, strings.TrimSpace(string(buf[:n])))
	}
	return strings.Join(msgs, "; ")
}

func mountLegacy(source string, lower []int, upper, work, target int) error {
	data, err := legacyData(lower, upper, work, os.Getpagesize())
	if err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() {
		// NOTE: the working directory is per process in Go, so this thread
		// unshares it before changing it, and never unlocks: the runtime
		// discards a thread whose goroutine exits while locked, so no other
		// goroutine ever runs with /proc/self/fd as its directory.
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_FS); err != nil {
			errc <- fmt.Errorf("unshare(CLONE_FS): %w", err)
			return
		}
		if err := unix.Chdir("/proc/self/fd"); err != nil {
			errc <- fmt.Errorf("chdir /proc/self/fd: %w", err)
			return
		}
		if err := unix.Mount(source, fdPath(target), "overlay", unix.MS_NOSUID|unix.MS_NODEV, data); err != nil {
			errc <- fmt.Errorf("mount(2) overlay (%d-byte options): %w", len(data)+1, err)
			return
		}
		errc <- nil
	}()
	return <-errc
}

// Unmount unmounts p.Target if an overlay is mounted there, then removes
// work/work, the directory the kernel creates root-owned with mode 000, so
// that the unprivileged service can delete the runtime tree. It reports
// whether something was unmounted. Nothing mounted is not an error.
//
// NOTE: docs/lifecycle.md rule 2: a plain umount, no MNT_DETACH and no
// retry; EBUSY means something still uses the overlay and is reported as the
// error it is.
func Unmount(p UnmountPlan) (unmounted bool, err error) {
	if err := layout.ValidateName(p.Name); err != nil {
		return false, err
	}
	rr := layout.Root(p.Root)
	if p.Target != rr.Merged(p.Name) || p.Work != rr.Work(p.Name) {
		return false, fmt.Errorf("unmount %s: target and work must be %s/{merged,work}", p.Name, rr.Runtime(p.Name))
	}
	rootFD, err := unix.Open(p.Root, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return false, fmt.Errorf("unmount %s: open state root: %w", p.Name, err)
	}
	defer unix.Close(rootFD)
	rel := strings.TrimPrefix(rr.Runtime(p.Name), p.Root+"/")
	// Hold the instance directory, not merged: an open descriptor on the
	// mount itself would make the umount fail with EBUSY.
	dirFD, err := openBeneath(rootFD, rel, unix.O_PATH|unix.O_DIRECTORY)
	if errors.Is(err, unix.ENOENT) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("unmount %s: open %s: %w", p.Name, rr.Runtime(p.Name), describeOpenErr(err))
	}
	defer unix.Close(dirFD)

	var stx unix.Statx_t
	err = unix.Statx(dirFD, "merged", unix.AT_SYMLINK_NOFOLLOW, unix.STATX_TYPE, &stx)
	switch {
	case errors.Is(err, unix.ENOENT):
	case err != nil:
		return false, fmt.Errorf("unmount %s: stat %s: %w", p.Name, p.Target, err)
	case stx.Mode&unix.S_IFMT == unix.S_IFLNK:
		return false, fmt.Errorf("unmount %s: %s is a symlink: refused", p.Name, p.Target)
	default:
		mounted, err := isMountRootAt(dirFD, "merged", stx)
		if err != nil {
			return false, fmt.Errorf("unmount %s: %w", p.Name, err)
		}
		if mounted {
			via := fdPath(dirFD) + "/merged"
			var sfs unix.Statfs_t
			if err := unix.Statfs(via, &sfs); err != nil {
				return false, fmt.Errorf("unmount %s: statfs %s: %w", p.Name, p.Target, err)
			}
			if sfs.Type != overlayfsMagic {
				return false, fmt.Errorf("unmount %s: %s has a non-overlay filesystem (type %#x) mounted: refused", p.Name, p.Target, sfs.Type)
			}
			if err := unix.Unmount(via, unix.UMOUNT_NOFOLLOW); err != nil {
				if errors.Is(err, unix.EBUSY) {
					return false, fmt.Errorf("unmount %s: %s is busy (is the server still running, or is this not PID 1's mount namespace?): %w", p.Name, p.Target, err)
				}
				return false, fmt.Errorf("unmount %s: umount %s: %w", p.Name, p.Target, err)
			}
			unmounted = true
		}
	}
	if err := removeWorkWork(dirFD); err != nil {
		return unmounted, fmt.Errorf("unmount %s: remove %s/work: %w", p.Name, p.Work, err)
	}
	return unmounted, nil
}

// removeWorkWork removes work/work below the instance directory dirFD.
func removeWorkWork(dirFD int) error {
	workFD, err := openBeneath(dirFD, "work", unix.O_RDONLY|unix.O_DIRECTORY)
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	if err != nil {
		return describeOpenErr(err)
	}
	defer unix.Close(workFD)
	return removeAllAt(workFD, "work")
}

// removeAllAt removes name below dirFD and everything in it without ever
// following a symlink: entries are opened with O_NOFOLLOW relative to their
// parent's descriptor and symlinks are unlinked, not followed. As root it
// needs no chmod to enter the kernel's mode-000 directory.
func removeAllAt(dirFD int, name string) error {
	var st unix.Stat_t
	err := unix.Fstatat(dirFD, name, &st, unix.AT_SYMLINK_NOFOLLOW)
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("stat %s: %w", name, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		if err := unix.Unlinkat(dirFD, name, 0); err != nil && !errors.Is(err, unix.ENOENT) {
			return fmt.Errorf("unlink %s: %w", name, err)
		}
		return nil
	}
	fd, err := unix.Openat(dirFD, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", name, err)
	}
	f := os.NewFile(uintptr(fd), name)
	defer f.Close()
	for {
		names, err := f.Readdirnames(256)
		for _, n := range names {
			if err := removeAllAt(fd, n); err != nil {
				return fmt.Errorf("%s/%w", name, err)
			}
		}
		if err != nil || len(names) == 0 {
			break
		}
	}
	if err := unix.Unlinkat(dirFD, name, unix.AT_REMOVEDIR); err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("rmdir %s: %w", name, err)
	}
	return nil
}

// IsMounted reports whether path (not followed if it is a symlink) is the
// root of a mount: exec-server waits for it on merged/, and the instance
// service asks it before touching upper/ and work/.
func IsMounted(path string) (bool, error) {
	var stx unix.Statx_t
	if err := unix.Statx(unix.AT_FDCWD, path, unix.AT_SYMLINK_NOFOLLOW, unix.STATX_TYPE, &stx); err != nil {
		return false, fmt.Errorf("stat %s: %w", path, err)
	}
	return isMountRootAt(unix.AT_FDCWD, path, stx)
}

func isMountRootFD(fd int) (bool, error) {
	var stx unix.Statx_t
	if err := unix.Statx(fd, "", unix.AT_EMPTY_PATH, unix.STATX_TYPE, &stx); err != nil {
		return false, fmt.Errorf("statx: %w", err)
	}
	if stx.Attributes_mask&unix.STATX_ATTR_MOUNT_ROOT != 0 {
		return stx.Attributes&unix.STATX_ATTR_MOUNT_ROOT != 0, nil
	}
	return devDiffers(fd, "", unix.AT_EMPTY_PATH, stx)
}

// isMountRootAt answers for name below dirFD given its statx result.
func isMountRootAt(dirFD int, name string, stx unix.Statx_t) (bool, error) {
	if stx.Attributes_mask&unix.STATX_ATTR_MOUNT_ROOT != 0 {
		return stx.Attributes&unix.STATX_ATTR_MOUNT_ROOT != 0, nil
	}
	return devDiffers(dirFD, name, unix.AT_SYMLINK_NOFOLLOW, stx)
}

// devDiffers is the fallback for kernels before 5.8 (no
// STATX_ATTR_MOUNT_ROOT): a mount root lives on another device than its
// parent directory.
func devDiffers(dirFD int, name string, flags int, stx unix.Statx_t) (bool, error) {
	if stx.Mode&unix.S_IFMT != unix.S_IFDIR {
		return false, nil
	}
	parent := ".."
	if name != "" {
		parent = name + "/.."
		flags = 0
	}
	var pst unix.Statx_t
	if err := unix.Statx(dirFD, parent, flags&^unix.AT_EMPTY_PATH, unix.STATX_TYPE, &pst); err != nil {
		return false, fmt.Errorf("statx %s: %w", parent, err)
	}
	return pst.Dev_major != stx.Dev_major || pst.Dev_minor != stx.Dev_minor, nil
}

// openBeneath opens rel below dirFD refusing symlinks and escapes.
func openBeneath(dirFD int, rel string, flags int) (int, error) {
	how := unix.OpenHow{Flags: uint64(flags | unix.O_CLOEXEC), Resolve: resolveFlags}
	var err error
	for range 3 { // EAGAIN: a concurrent rename raced the lookup
		var fd int
		fd, err = unix.Openat2(dirFD, rel, &how)
		if err == nil {
			return fd, nil
		}
		if !errors.Is(err, unix.EAGAIN) && !errors.Is(err, unix.EINTR) {
			break
		}
	}
	return -1, err
}

// describeOpenErr explains openat2's refusals.
func describeOpenErr(err error) error {
	switch {
	case errors.Is(err, unix.ELOOP):
		return fmt.Errorf("a path component is a symlink, which is not allowed here (or was swapped in after validation): %w", err)
	case errors.Is(err, unix.EXDEV):
		return fmt.Errorf("the path leaves the state root: %w", err)
	case errors.Is(err, unix.ENOTDIR):
		return fmt.Errorf("not a directory: %w", err)
	}
	return err
}

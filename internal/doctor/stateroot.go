package doctor

import (
	"context"
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// Reflinker tries a reflink (FICLONE) of a new temporary file in dir and
// reports whether the file system did it.
type Reflinker interface {
	Reflink(dir string) (bool, error)
}

// CheckStateRoot: the state root exists, belongs to the service user, is not
// writable by others, and on what file system it is (reflinks or not).
func (d *Doctor) CheckStateRoot(ctx context.Context) Result {
	const name = "state-root"
	dir := d.Config.Root.String()
	fi, err := os.Stat(dir)
	if err != nil {
		return fail(name, fmt.Sprintf("%s: %v", dir, err), "systemd-tmpfiles --create (deploy/tmpfiles.d/left4me.conf creates it 0750 left4me:left4me)")
	}
	if !fi.IsDir() {
		return fail(name, dir+" is not a directory", "move it away and run systemd-tmpfiles --create")
	}
	st := fi.Sys().(*syscall.Stat_t)
	mode := fi.Mode().Perm()
	found := fmt.Sprintf("%s owned by uid %d, mode %04o", dir, st.Uid, mode)
	if d.Identity.ServiceErr != nil {
		return fail(name, found+"; "+d.Identity.ServiceErr.Error(), "systemd-sysusers (deploy/sysusers.d/left4me.conf)")
	}
	if int(st.Uid) != d.Identity.Service.UID {
		return fail(name, fmt.Sprintf("%s owned by uid %d, not %s (%d)", dir, st.Uid, d.Identity.Service.Name, d.Identity.Service.UID),
			fmt.Sprintf("chown %s: %s (the helper refuses a root owned by anyone but root or %s)", d.Identity.Service.Name, dir, d.Identity.Service.Name))
	}
	if mode&0o002 != 0 {
		return fail(name, found+": writable by everyone", "chmod 0750 "+dir)
	}
	fsName := fsType(dir)
	found = fmt.Sprintf("%s owned by %s, mode %04o, on %s", dir, d.Identity.Service.Name, mode, fsName)
	if !d.Identity.root() && !d.Identity.service() {
		r := warn(name, found, "run the doctor as root or "+ServiceUser)
		r.Unchecked = "reflinks (needs write access to the state root)"
		return r
	}
	cloned, err := d.Reflink.Reflink(dir)
	switch {
	case err != nil:
		return warn(name, found+fmt.Sprintf("; reflink test failed: %v", err), "make the state root writable by "+ServiceUser)
	case !cloned:
		found += "; no reflinks: new installation generations are full copies (XFS with reflink=1 or btrfs clone them in seconds)"
	default:
		found += "; reflinks work"
	}
	if mode&0o007 != 0 {
		return warn(name, found+"; readable by others", "chmod 0750 "+dir)
	}
	return ok(name, found)
}

// fsType names the file system dir is on.
func fsType(dir string) string {
	var s unix.Statfs_t
	if err := unix.Statfs(dir, &s); err != nil {
		return "an unknown file system (" + err.Error() + ")"
	}
	return fsName(int64(s.Type))
}

func fsName(magic int64) string {
	switch magic {
	case unix.EXT4_SUPER_MAGIC:
		return "ext4"
	case unix.XFS_SUPER_MAGIC:
		return "xfs"
	case unix.BTRFS_SUPER_MAGIC:
		return "btrfs"
	case unix.TMPFS_MAGIC:
		return "tmpfs"
	case unix.OVERLAYFS_SUPER_MAGIC:
		return "overlayfs"
	case 0x2fc12fc2:
		return "zfs"
	case 0xcafe4a11:
		return "bcachefs"
	case unix.NFS_SUPER_MAGIC:
		return "nfs"
	}
	return fmt.Sprintf("file system type %#x", magic)
}

// FileReflinker is the real Reflinker.
type FileReflinker struct{}

// Reflink implements Reflinker: two temporary files in dir, the second
// cloned from the first with FICLONE; both removed.
func (FileReflinker) Reflink(dir string) (bool, error) {
	src, err := os.CreateTemp(dir, ".doctor-reflink-")
	if err != nil {
		return false, fmt.Errorf("reflink test: %w", err)
	}
	defer os.Remove(src.Name())
	defer src.Close()
	if _, err := src.Write(make([]byte, 64<<10)); err != nil {
		return false, fmt.Errorf("reflink test: %w", err)
	}
	if err := src.Sync(); err != nil {
		return false, fmt.Errorf("reflink test: %w", err)
	}
	dst, err := os.CreateTemp(dir, ".doctor-reflink-")
	if err != nil {
		return false, fmt.Errorf("reflink test: %w", err)
	}
	defer os.Remove(dst.Name())
	defer dst.Close()
	if err := unix.IoctlFileClone(int(dst.Fd()), int(src.Fd())); err != nil {
		// EOPNOTSUPP, EINVAL (ext4), EXDEV, ENOTTY: no reflinks here.
		return false, nil
	}
	return true, nil
}

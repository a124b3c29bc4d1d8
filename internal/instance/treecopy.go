package instance

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// The extended attributes that mark an opaque directory of an overlay
// upper: trusted.* when root mounted it (production), user.* when it was
// mounted in a user namespace with userxattr (the demo's supervisor).
var opaqueXattrs = []string{"trusted.overlay.opaque", "user.overlay.opaque"}

// copyRetries is how often a plain copy of a file that changed while it was
// being copied is tried again before the copy gives up.
const copyRetries = 3

// ErrCopyChanged: a file of a running instance's upper changed on every
// attempt to copy it (plain copies only; see copyTree).
var ErrCopyChanged = errors.New("file changed while being copied")

// ErrUncopyable: the upper holds a file no copy can reproduce (a socket,
// a pipe, a device that is not a whiteout); the message names it.
var ErrUncopyable = errors.New("cannot be copied")

// copyTree copies the directory tree src into dst, which must not exist,
// without sharing an inode: each regular file is a reflink (FICLONE) where
// the file system can, else a plain copy. Modes, symlinks, modification
// times, overlay whiteouts (character devices 0/0) and the opaque marks of
// directories are kept; skip, given a slash-separated path relative to src,
// leaves an entry (and, for a directory, everything below it) out. As root
// the owners are kept too; otherwise every copy belongs to the caller.
//
// NOTE: docs/operations.md §4 ("Clone and templates") — the consistency rule for
// a running instance: each file is copied as it was at one moment. A
// reflink is that by itself; a plain copy is checked against the source's
// size, modification and change times before and after, and tried again
// (copyRetries) when they moved. The tree as a whole is not one snapshot.
//
// NOTE: an unprivileged caller can create whiteouts (Linux 5.8 lets anyone
// make the 0/0 character device) but can neither read nor set trusted.*
// attributes: the opaque marks of a root-mounted upper are lost.
func copyTree(src, dst string, skip func(rel string) bool) error {
	root := os.Geteuid() == 0
	type dirMeta struct {
		path string
		st   unix.Stat_t
	}
	var dirs []dirMeta
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("copy %s: %w", path, err)
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel != "." && skip != nil && skip(rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, rel)
		var st unix.Stat_t
		if err := unix.Lstat(path, &st); err != nil {
			return fmt.Errorf("copy %s: %w", path, err)
		}
		perm := uint32(st.Mode) & 0o7777
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFDIR:
			if err := os.Mkdir(target, 0o700); err != nil {
				return fmt.Errorf("copy %s: %w", rel, err)
			}
			for _, x := range opaqueXattrs {
				buf := make([]byte, 16)
				n, err := unix.Lgetxattr(path, x, buf)
				if err != nil {
					continue // absent, or hidden from an unprivileged caller
				}
				if err := unix.Lsetxattr(target, x, buf[:n], 0); err != nil {
					return fmt.Errorf("copy the opaque mark of %s: %w", rel, err)
				}
			}
		case unix.S_IFREG:
			if err := copyFile(path, target, &st); err != nil {
				return fmt.Errorf("copy %s: %w", rel, err)
			}
		case unix.S_IFLNK:
			link, err := os.Readlink(path)
			if err != nil {
				return fmt.Errorf("copy %s: %w", rel, err)
			}
			if err := os.Symlink(link, target); err != nil {
				return fmt.Errorf("copy %s: %w", rel, err)
			}
		case unix.S_IFCHR:
			if st.Rdev != 0 {
				return fmt.Errorf("copy %s: a device file that is not an overlay whiteout %w; remove it first", rel, ErrUncopyable)
			}
			if err := unix.Mknod(target, unix.S_IFCHR|perm, 0); err != nil {
				return fmt.Errorf("copy the whiteout %s (it hides a file of a lower layer; creating one needs Linux 5.8 or root): %w", rel, err)
			}
		default:
			return fmt.Errorf("copy %s: a socket or pipe %w; remove it first", rel, ErrUncopyable)
		}
		if root {
			if err := os.Lchown(target, int(st.Uid), int(st.Gid)); err != nil {
				return fmt.Errorf("copy the owner of %s: %w", rel, err)
			}
		}
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFDIR:
			// Mode and times after the contents (below): a read-only
			// directory must still take them, and creating them moves
			// the time.
			dirs = append(dirs, dirMeta{target, st})
		case unix.S_IFLNK:
			setMtime(target, &st)
		default:
			// After the owner: chown clears set-id bits.
			if err := unix.Fchmodat(unix.AT_FDCWD, target, perm, 0); err != nil {
				return fmt.Errorf("copy the mode of %s: %w", rel, err)
			}
			setMtime(target, &st)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		d := dirs[i]
		if err := unix.Fchmodat(unix.AT_FDCWD, d.path, uint32(d.st.Mode)&0o7777, 0); err != nil {
			return fmt.Errorf("copy the mode of %s: %w", d.path, err)
		}
		setMtime(d.path, &d.st)
	}
	return nil
}

// setMtime gives target the access and modification times of st; a
// failure is of no consequence to a copy.
func setMtime(target string, st *unix.Stat_t) {
	ts := []unix.Timespec{st.Atim, st.Mtim}
	_ = unix.UtimesNanoAt(unix.AT_FDCWD, target, ts, unix.AT_SYMLINK_NOFOLLOW)
}

// copyFile copies the regular file src to the new file dst: a reflink where
// the file system can, else a plain copy that is tried again while src
// changes under it.
func copyFile(src, dst string, before *unix.Stat_t) error {
	for attempt := 0; ; attempt++ {
		same, err := copyOnce(src, dst, before)
		if err != nil || same {
			return err
		}
		if attempt+1 >= copyRetries {
			return fmt.Errorf("%w %d times (the server is writing it): stop the instance, or try again", ErrCopyChanged, copyRetries)
		}
		if err := unix.Lstat(src, before); err != nil {
			return err
		}
		if err := os.Remove(dst); err != nil {
			return err
		}
	}
}

// copyOnce copies src to dst once and reports whether the copy is of one
// moment of src (a reflink, or a plain copy during which src kept its size
// and times).
func copyOnce(src, dst string, before *unix.Stat_t) (bool, error) {
	in, err := os.Open(src)
	if err != nil {
		return false, err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return false, err
	}
	if err := unix.IoctlFileClone(int(out.Fd()), int(in.Fd())); err == nil {
		return true, out.Close()
	}
	// No reflink here (another file system, ext4, tmpfs): copy the bytes.
	// copy_file_range, which io.Copy uses between two files, never shares
	// blocks on these.
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return false, err
	}
	if err := out.Close(); err != nil {
		return false, err
	}
	var after unix.Stat_t
	if err := unix.Fstat(int(in.Fd()), &after); err != nil {
		return false, err
	}
	return after.Size == before.Size && after.Mtim == before.Mtim && after.Ctim == before.Ctim, nil
}

// tempSibling returns a new, unused name for a temporary directory next to
// dir: hidden (dot first), so that nothing listing dir's parent takes it
// for an instance or a template.
func tempSibling(dir, purpose string) string {
	return filepath.Join(filepath.Dir(dir), fmt.Sprintf(".%s-%s-%d", purpose, filepath.Base(dir), time.Now().UnixNano()))
}

// isUnder reports whether rel (slash-separated) is prefix or below it.
func isUnder(rel, prefix string) bool {
	return rel == prefix || strings.HasPrefix(rel, prefix+"/")
}

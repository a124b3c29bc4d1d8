package content

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// CopyStats counts what CopyTree did.
type CopyStats struct {
	Files, Dirs, Symlinks int
	Bytes                 int64
	// Cloned files share their data blocks with the source (FICLONE: btrfs,
	// XFS with reflink, bcachefs); the others were copied in the kernel
	// (copy_file_range) and use their own blocks.
	Cloned int
}

// CopyTree copies the tree src into the new directory dst as a private,
// writable working copy (the starting point of an update). Each regular
// file is cloned with the FICLONE ioctl where the file system supports
// reflinks and copied otherwise, so the copy can be changed freely without
// touching src — unlike a hard-link farm, where an updater that rewrites a
// file in place would change the published generation too (rule 12).
// Modes gain owner write permission; modification times are kept.
//
// Measured with BenchmarkNewGeneration on an 8 GiB synthetic installation
// (medians of 5, including syncfs): XFS with reflink 1.0 s and 9 MB of new
// disk space (a plain full copy there: 24 s, 8.2 GB); ext4, which has no
// reflinks, 18.8 s and 8.2 GB (a full copy). A hard-link farm would take
// 0.25 s and no space, but is unsafe for the reason above.
func CopyTree(ctx context.Context, src, dst string) (CopyStats, error) {
	var st CopyStats
	reflink := true
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			if err := os.Mkdir(target, fi.Mode().Perm()|0o700); err != nil {
				return err
			}
			st.Dirs++
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			if err := os.Symlink(link, target); err != nil {
				return err
			}
			st.Symlinks++
			return nil
		case d.Type().IsRegular():
			cloned, err := copyFile(path, target, fi, &reflink)
			if err != nil {
				return err
			}
			st.Files++
			st.Bytes += fi.Size()
			if cloned {
				st.Cloned++
			}
		default:
			return fmt.Errorf("%s: not a regular file, directory or symlink", rel)
		}
		return os.Chtimes(target, fi.ModTime(), fi.ModTime())
	})
	if err != nil {
		return st, fmt.Errorf("copy %s to %s: %w", src, dst, err)
	}
	return st, nil
}

// copyFile clones or copies one file. After the first refused clone
// (*reflink set to false) it stops trying.
func copyFile(src, dst string, fi fs.FileInfo, reflink *bool) (bool, error) {
	in, err := os.Open(src)
	if err != nil {
		return false, err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fi.Mode().Perm()|0o200)
	if err != nil {
		return false, err
	}
	if *reflink {
		err := unix.IoctlFileClone(int(out.Fd()), int(in.Fd()))
		if err == nil {
			return true, out.Close()
		}
		if errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.ENOTTY) || errors.Is(err, unix.EXDEV) ||
			errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EPERM) {
			*reflink = false
		} else {
			out.Close()
			return false, fmt.Errorf("clone %s: %w", src, err)
		}
	}
	// *os.File to *os.File: io.Copy uses copy_file_range, an in-kernel copy
	// (which itself shares blocks on file systems that can).
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return false, err
	}
	return false, out.Close()
}

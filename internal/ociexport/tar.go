package ociexport

import (
	"archive/tar"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Owner is the uid and gid of every entry of an exported layer and the user
// the image runs as: a non-root user, as the service user runs the servers on
// a host.
const Owner = 1000

// epoch is the modification time of every entry: a generation's layer must
// be the same bytes at every export (docs/scale-out.md §2), and the times a
// copy or a build left on the files say nothing about the content.
var epoch = time.Unix(0, 0).UTC()

// WhiteoutPrefix and OpaqueWhiteout are the OCI image spec's names for an
// overlay's deletions: a file ".wh.NAME" hides NAME in the layers below, a
// file ".wh..wh..opq" in a directory hides everything below it.
const (
	WhiteoutPrefix = ".wh."
	OpaqueWhiteout = ".wh..wh..opq"
)

// tarOptions say how writeTree turns a directory into a layer.
type tarOptions struct {
	// Prefix is the directory in the image the tree is put in ("l4d2").
	Prefix string
	// Upper: the tree is an overlay upper directory, whose whiteouts
	// (character devices 0/0) and opaque directories (the overlay.opaque
	// xattr) become OCI whiteout files. A lower layer has neither.
	Upper bool
}

// writeTree writes dir as a deterministic tar stream: entries sorted by
// name, every time the epoch, uid and gid Owner with no user or group name,
// no extended attributes, permission bits as on disk. Regular files,
// directories and symbolic links are kept; hard links become copies (so the
// stream does not depend on inode numbers); sockets, pipes and devices other
// than whiteouts are refused: no published generation has them.
func writeTree(w io.Writer, dir string, opt tarOptions) error {
	tw := tar.NewWriter(w)
	if opt.Prefix != "" {
		if err := tw.WriteHeader(dirHeader(opt.Prefix+"/", 0o755)); err != nil {
			return fmt.Errorf("write layer of %s: %w", dir, err)
		}
	}
	if err := walkSorted(tw, dir, "", opt); err != nil {
		return fmt.Errorf("write layer of %s: %w", dir, err)
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("write layer of %s: %w", dir, err)
	}
	return nil
}

func dirHeader(name string, mode int64) *tar.Header {
	return &tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: mode, Uid: Owner, Gid: Owner, ModTime: epoch, Format: tar.FormatPAX}
}

// walkSorted writes the entries of dir/rel, sorted, depth first.
func walkSorted(tw *tar.Writer, dir, rel string, opt tarOptions) error {
	entries, err := os.ReadDir(filepath.Join(dir, rel))
	if err != nil {
		return err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	if opt.Upper && rel != "" && isOpaque(filepath.Join(dir, rel)) {
		h := fileHeader(path.Join(opt.Prefix, rel, OpaqueWhiteout), 0o644, 0)
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
	}
	for _, name := range names {
		if strings.HasPrefix(name, WhiteoutPrefix) {
			// A name the OCI spec reserves cannot be carried as a file.
			return fmt.Errorf("%s: a file name starting with %q cannot be exported (the OCI image spec reserves it for deletions)", filepath.Join(dir, rel, name), WhiteoutPrefix)
		}
		relName := path.Join(rel, name)
		full := filepath.Join(dir, relName)
		fi, err := os.Lstat(full)
		if err != nil {
			return err
		}
		inImage := path.Join(opt.Prefix, relName)
		perm := int64(fi.Mode().Perm()) // set-id bits are dropped: nothing in a layer needs them
		switch mode := fi.Mode(); {
		case mode.IsDir():
			if err := tw.WriteHeader(dirHeader(inImage+"/", perm)); err != nil {
				return err
			}
			if err := walkSorted(tw, dir, relName, opt); err != nil {
				return err
			}
		case mode.IsRegular():
			if err := writeFile(tw, full, fileHeader(inImage, perm, fi.Size())); err != nil {
				return err
			}
		case mode&fs.ModeSymlink != 0:
			target, err := os.Readlink(full)
			if err != nil {
				return err
			}
			h := &tar.Header{Typeflag: tar.TypeSymlink, Name: inImage, Linkname: target, Mode: 0o777, Uid: Owner, Gid: Owner, ModTime: epoch, Format: tar.FormatPAX}
			if err := tw.WriteHeader(h); err != nil {
				return err
			}
		case opt.Upper && isWhiteout(fi):
			h := fileHeader(path.Join(opt.Prefix, rel, WhiteoutPrefix+name), 0o644, 0)
			if err := tw.WriteHeader(h); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%s: a %s cannot be exported (only files, directories and symbolic links)", full, mode.Type())
		}
	}
	return nil
}

func fileHeader(name string, mode, size int64) *tar.Header {
	return &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: size, Uid: Owner, Gid: Owner, ModTime: epoch, Format: tar.FormatPAX}
}

func writeFile(tw *tar.Writer, full string, h *tar.Header) error {
	f, err := os.Open(full)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := tw.WriteHeader(h); err != nil {
		return err
	}
	n, err := io.Copy(tw, f)
	if err != nil {
		return err
	}
	if n != h.Size {
		return fmt.Errorf("%s changed while it was exported: stop the instance before exporting its writable layer", full)
	}
	return nil
}

// isWhiteout reports an overlayfs whiteout: a character device 0/0.
func isWhiteout(fi fs.FileInfo) bool {
	if fi.Mode()&fs.ModeCharDevice == 0 {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && st.Rdev == 0
}

// isOpaque reports an overlayfs opaque directory: the trusted.overlay.opaque
// (mounted by root) or user.overlay.opaque (mounted in a user namespace, the
// process supervisor) attribute set to "y".
func isOpaque(dir string) bool {
	for _, attr := range []string{"trusted.overlay.opaque", "user.overlay.opaque"} {
		buf := make([]byte, 8)
		if n, err := unix.Lgetxattr(dir, attr, buf); err == nil && n == 1 && buf[0] == 'y' {
			return true
		}
	}
	return false
}

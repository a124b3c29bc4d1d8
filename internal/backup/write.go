package backup

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"syscall"
	"time"

	"github.com/klauspost/compress/zstd"
)

// errChanged is a file of upper that changed while it was read; the
// backup starts again (Service.write).
type errChanged struct{ path string }

func (e *errChanged) Error() string {
	return fmt.Sprintf("%s changed while it was read", e.path)
}

// writeArchive writes rec and the tree upper as one archive to w. A file
// whose size, modification or change time differ after it was read from
// before is an *errChanged.
func writeArchive(ctx context.Context, w io.Writer, upper string, rec Record) error {
	zw, err := zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(2))
	if err != nil {
		return fmt.Errorf("start compression: %w", err)
	}
	tw := tar.NewWriter(zw)
	var m Manifest
	m.Format = Format
	recJSON, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return fmt.Errorf("encode the record: %w", err)
	}
	sum := sha256.Sum256(recJSON)
	m.Entries = append(m.Entries, ManifestEntry{Path: recordEntry, Type: typeFile, Mode: 0o600, Size: int64(len(recJSON)), SHA256: hex.EncodeToString(sum[:])})
	if err := writeBytes(tw, recordEntry, recJSON, rec.CreatedAt); err != nil {
		return err
	}
	buf := make([]byte, 1<<20)
	err = filepath.WalkDir(upper, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("read %s: %w", p, err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(upper, p)
		if err != nil {
			return err
		}
		name := upperEntry
		if rel != "." {
			name = path.Join(upperEntry, filepath.ToSlash(rel))
		}
		e, err := addEntry(tw, p, name, buf)
		if err != nil {
			return err
		}
		m.Entries = append(m.Entries, e)
		return nil
	})
	if err != nil {
		return err
	}
	mJSON, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode the manifest: %w", err)
	}
	if err := writeBytes(tw, manifestEntry, mJSON, rec.CreatedAt); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("finish the archive: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("finish compression: %w", err)
	}
	return nil
}

func writeBytes(tw *tar.Writer, name string, data []byte, mt time.Time) error {
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o600, Size: int64(len(data)), ModTime: mt, Format: tar.FormatPAX}); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if _, err := tw.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// addEntry writes one path of upper: a directory, a regular file, a
// symbolic link or an overlay whiteout (a character device 0/0). Anything
// else cannot be backed up.
func addEntry(tw *tar.Writer, p, name string, buf []byte) (ManifestEntry, error) {
	fi, err := os.Lstat(p)
	if err != nil {
		return ManifestEntry{}, fmt.Errorf("read %s: %w", p, err)
	}
	mode := uint32(fi.Mode().Perm())
	hdr := &tar.Header{Name: name, Mode: int64(mode), ModTime: fi.ModTime(), Format: tar.FormatPAX}
	switch {
	case fi.IsDir():
		hdr.Typeflag, hdr.Name = tar.TypeDir, name+"/"
		if err := tw.WriteHeader(hdr); err != nil {
			return ManifestEntry{}, fmt.Errorf("write %s: %w", name, err)
		}
		return ManifestEntry{Path: name, Type: typeDir, Mode: mode}, nil
	case fi.Mode()&fs.ModeSymlink != 0:
		target, err := os.Readlink(p)
		if err != nil {
			return ManifestEntry{}, fmt.Errorf("read link %s: %w", p, err)
		}
		hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, target
		if err := tw.WriteHeader(hdr); err != nil {
			return ManifestEntry{}, fmt.Errorf("write %s: %w", name, err)
		}
		return ManifestEntry{Path: name, Type: typeSymlink, Target: target}, nil
	case isWhiteout(fi):
		hdr.Typeflag = tar.TypeChar
		if err := tw.WriteHeader(hdr); err != nil {
			return ManifestEntry{}, fmt.Errorf("write %s: %w", name, err)
		}
		return ManifestEntry{Path: name, Type: typeWhiteout}, nil
	case fi.Mode().IsRegular():
		return addFile(tw, p, name, hdr, buf)
	}
	return ManifestEntry{}, fmt.Errorf("%s is a %v, which a backup cannot hold", p, fi.Mode().Type())
}

// addFile copies a regular file, checking that it did not change while
// it was read (docs/operations.md, "Backups").
func addFile(tw *tar.Writer, p, name string, hdr *tar.Header, buf []byte) (ManifestEntry, error) {
	f, err := os.Open(p)
	if err != nil {
		return ManifestEntry{}, fmt.Errorf("read %s: %w", p, err)
	}
	defer f.Close()
	before, err := stamp(f)
	if err != nil {
		return ManifestEntry{}, fmt.Errorf("read %s: %w", p, err)
	}
	hdr.Typeflag, hdr.Size = tar.TypeReg, before.size
	if err := tw.WriteHeader(hdr); err != nil {
		return ManifestEntry{}, fmt.Errorf("write %s: %w", name, err)
	}
	h := sha256.New()
	n, err := io.CopyBuffer(io.MultiWriter(tw, h), io.LimitReader(f, before.size), buf)
	if err != nil {
		return ManifestEntry{}, fmt.Errorf("copy %s: %w", p, err)
	}
	after, err := stamp(f)
	if err != nil {
		return ManifestEntry{}, fmt.Errorf("read %s: %w", p, err)
	}
	if n != before.size || after != before {
		return ManifestEntry{}, &errChanged{path: p}
	}
	return ManifestEntry{Path: name, Type: typeFile, Mode: uint32(hdr.Mode), Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// fileStamp is what tells that a file changed: its size and its
// modification and change times.
type fileStamp struct {
	size         int64
	mtime, ctime syscall.Timespec
}

func stamp(f *os.File) (fileStamp, error) {
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		return fileStamp{}, err
	}
	return fileStamp{size: st.Size, mtime: st.Mtim, ctime: st.Ctim}, nil
}

// isWhiteout reports whether fi is an overlayfs whiteout: a character
// device with device number 0/0.
func isWhiteout(fi fs.FileInfo) bool {
	if fi.Mode()&fs.ModeCharDevice == 0 {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && st.Rdev == 0
}

// isChanged reports whether err is a file that changed while read.
func isChanged(err error) bool {
	var c *errChanged
	return errors.As(err, &c)
}

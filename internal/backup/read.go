package backup

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
	"golang.org/x/sys/unix"
)

// maxMeta bounds instance.json and manifest.json.
const maxMeta = 16 << 20

func refuse(kind error, format string, a ...any) error {
	return fmt.Errorf("%w: %w: %s", ErrRefused, kind, fmt.Sprintf(format, a...))
}

// extract reads an archive from r into dir (empty, made by the caller):
// dir/upper is the instance's upper. Every entry is checked as it comes
// (its path stays inside upper, it is a directory, a file, a link that
// points inside, or a whiteout; it is new) and against the manifest at the
// end (every file's SHA-256, type and mode; nothing added or missing). On
// an error the caller removes dir.
func extract(ctx context.Context, r io.Reader, dir string, limit int64) (Record, error) {
	zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(1<<30))
	if err != nil {
		return Record{}, fmt.Errorf("start decompression: %w", err)
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	var (
		got      []ManifestEntry
		recJSON  []byte
		manifest []byte
		seen     = map[string]bool{}
		dirs     = map[string]bool{}
		dirTimes = map[string]dirMeta{}
		buf      = make([]byte, 1<<20)
		total    int64
	)
	for {
		if err := ctx.Err(); err != nil {
			return Record{}, err
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Record{}, refuse(ErrCorrupt, "the archive cannot be read: it is not a left4me backup (.tar.zst), or it is damaged (%v)", err)
		}
		if manifest != nil {
			return Record{}, refuse(ErrCorrupt, "%q follows the manifest", hdr.Name)
		}
		name, err := entryName(hdr)
		if err != nil {
			return Record{}, err
		}
		if seen[name] {
			return Record{}, refuse(ErrCorrupt, "%q is in the archive twice", name)
		}
		seen[name] = true
		switch name {
		case recordEntry, manifestEntry:
			if hdr.Typeflag != tar.TypeReg || hdr.Size > maxMeta {
				return Record{}, refuse(ErrCorrupt, "%q is not a file of at most %d bytes", name, maxMeta)
			}
			b, err := io.ReadAll(io.LimitReader(tr, maxMeta))
			if err != nil {
				return Record{}, refuse(ErrCorrupt, "read %s: %v", name, err)
			}
			if name == manifestEntry {
				manifest = b
				continue
			}
			if len(got) != 0 {
				return Record{}, refuse(ErrCorrupt, "%s is not the first entry", recordEntry)
			}
			recJSON = b
			sum := sha256.Sum256(b)
			got = append(got, ManifestEntry{Path: name, Type: typeFile, Mode: uint32(hdr.Mode), Size: int64(len(b)), SHA256: hex.EncodeToString(sum[:])})
			continue
		}
		if recJSON == nil {
			return Record{}, refuse(ErrCorrupt, "%s is not the first entry", recordEntry)
		}
		parent := path.Dir(name)
		if name != upperEntry && !dirs[parent] {
			// Also what keeps a file from being written through a
			// symbolic link of the archive: only directories it made
			// hold entries.
			return Record{}, refuse(ErrUnsafe, "%q is not inside a directory of the archive", name)
		}
		if name == upperEntry && hdr.Typeflag != tar.TypeDir {
			return Record{}, refuse(ErrUnsafe, "%q is not a directory", name)
		}
		target := filepath.Join(dir, filepath.FromSlash(name))
		mode := uint32(hdr.Mode) & 0o777
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.Mkdir(target, 0o700); err != nil {
				return Record{}, fmt.Errorf("restore %s: %w", name, err)
			}
			dirs[name] = true
			dirTimes[target] = dirMeta{mode: mode, mtime: hdr.ModTime}
			got = append(got, ManifestEntry{Path: name, Type: typeDir, Mode: mode})
		case tar.TypeReg:
			if total += hdr.Size; total > limit {
				return Record{}, refuse(ErrUnsafe, "the archive unpacks to more than %d bytes (the restore limit)", limit)
			}
			e, err := extractFile(tr, hdr, name, target, mode, buf)
			if err != nil {
				return Record{}, err
			}
			got = append(got, e)
		case tar.TypeSymlink:
			if err := linkInside(name, hdr.Linkname); err != nil {
				return Record{}, err
			}
			if err := os.Symlink(hdr.Linkname, target); err != nil {
				return Record{}, fmt.Errorf("restore %s: %w", name, err)
			}
			got = append(got, ManifestEntry{Path: name, Type: typeSymlink, Target: hdr.Linkname})
		case tar.TypeChar:
			if hdr.Devmajor != 0 || hdr.Devminor != 0 {
				return Record{}, refuse(ErrUnsafe, "%q is a device %d/%d (only overlay whiteouts, 0/0, are allowed)", name, hdr.Devmajor, hdr.Devminor)
			}
			// NOTE: Linux allows an unprivileged mknod of a 0/0 character
			// device, overlayfs' whiteout, since 5.8.
			if err := unix.Mknod(target, unix.S_IFCHR|0o600, 0); err != nil {
				return Record{}, fmt.Errorf("restore the whiteout %s: %w", name, err)
			}
			got = append(got, ManifestEntry{Path: name, Type: typeWhiteout})
		case tar.TypeLink:
			return Record{}, refuse(ErrUnsafe, "%q is a hard link", name)
		default:
			return Record{}, refuse(ErrUnsafe, "%q is of type %q (a device, pipe or other special file)", name, hdr.Typeflag)
		}
	}
	// tar stops at its end marker. The rest of the stream is read too, so
	// that zstd checks the frame's content checksum (a flipped bit in what
	// tar ignores, such as the padding after a file, is caught), and it
	// must be zeros: a writer of this format puts nothing after the end.
	if err := restIsZeros(zr, buf); err != nil {
		return Record{}, err
	}
	if recJSON == nil || manifest == nil {
		return Record{}, refuse(ErrCorrupt, "the archive has no %s or no %s: it is not a left4me backup, or it was cut short", recordEntry, manifestEntry)
	}
	if err := checkManifest(manifest, got); err != nil {
		return Record{}, err
	}
	var rec Record
	dec := json.NewDecoder(bytes.NewReader(recJSON))
	if err := dec.Decode(&rec); err != nil {
		return Record{}, refuse(ErrCorrupt, "read %s: %v", recordEntry, err)
	}
	if rec.Format != Format {
		return Record{}, refuse(ErrCorrupt, "%s has format %d; this left4me reads format %d", recordEntry, rec.Format, Format)
	}
	for p, d := range dirTimes {
		// The unit must be able to enter and write every directory.
		if err := os.Chmod(p, os.FileMode(d.mode|0o700)); err != nil {
			return Record{}, fmt.Errorf("restore %s: %w", p, err)
		}
		_ = os.Chtimes(p, d.mtime, d.mtime) // cosmetic
	}
	return rec, nil
}

// maxTail bounds what may follow tar's end marker: Go's tar writes two
// zero blocks, other writers pad to a record (10 KiB for GNU tar), and a
// stream of compressed zeros must not keep a restore busy.
const maxTail = 64 << 10

// restIsZeros reads r to its end and refuses anything but zero bytes, or
// more than maxTail of them.
func restIsZeros(r io.Reader, buf []byte) error {
	var total int
	for {
		n, err := r.Read(buf)
		if total += n; total > maxTail {
			return refuse(ErrCorrupt, "the archive holds more than %d bytes after its last entry", maxTail)
		}
		for _, c := range buf[:n] {
			if c != 0 {
				return refuse(ErrCorrupt, "the archive holds data after its last entry")
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return refuse(ErrCorrupt, "the archive is damaged after its last entry (%v)", err)
		}
	}
}

// dirMeta is what a directory gets once everything in it is written.
type dirMeta struct {
	mode  uint32
	mtime time.Time
}

// entryName checks an entry's path: relative, clean, one of the record,
// the manifest or inside upper/.
func entryName(hdr *tar.Header) (string, error) {
	raw := hdr.Name
	name := strings.TrimSuffix(raw, "/")
	switch {
	case name == "" || strings.HasPrefix(raw, "/"):
		return "", refuse(ErrUnsafe, "%q is an absolute or empty path", raw)
	case strings.ContainsRune(name, 0) || strings.Contains(name, "\\"):
		return "", refuse(ErrUnsafe, "%q holds a NUL or a backslash", raw)
	case path.Clean(name) != name || name == ".." || strings.HasPrefix(name, "../") || strings.Contains(name, "/../"):
		return "", refuse(ErrUnsafe, "%q is not a clean relative path (it climbs out with .. or is not in canonical form)", raw)
	}
	if name == recordEntry || name == manifestEntry || name == upperEntry || strings.HasPrefix(name, upperEntry+"/") {
		return name, nil
	}
	return "", refuse(ErrUnsafe, "%q is outside upper/", raw)
}

// linkInside refuses a symbolic link that points outside upper: an
// absolute target, or one that climbs above upper's root.
func linkInside(name, target string) error {
	if target == "" || path.IsAbs(target) || strings.ContainsRune(target, 0) {
		return refuse(ErrUnsafe, "%q is a link to %q, outside the instance", name, target)
	}
	// Relative to upper's root, which the overlay's merged root mirrors.
	dir := strings.TrimPrefix(strings.TrimPrefix(path.Dir(name), upperEntry), "/")
	if r := path.Join(dir, target); r == ".." || strings.HasPrefix(r, "../") {
		return refuse(ErrUnsafe, "%q is a link to %q, outside the instance", name, target)
	}
	return nil
}

// extractFile writes one regular file, hashing it.
func extractFile(tr *tar.Reader, hdr *tar.Header, name, target string, mode uint32, buf []byte) (ManifestEntry, error) {
	// The unit runs as the service user and must read and write what a
	// restore creates: owner read and write always, no set-id bits.
	f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, os.FileMode(mode|0o600))
	if err != nil {
		return ManifestEntry{}, fmt.Errorf("restore %s: %w", name, err)
	}
	h := sha256.New()
	n, err := io.CopyBuffer(io.MultiWriter(f, h), tr, buf)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return ManifestEntry{}, refuse(ErrCorrupt, "read %s: %v", name, err)
	}
	if err := os.Chmod(target, os.FileMode(mode|0o600)); err != nil {
		return ManifestEntry{}, fmt.Errorf("restore %s: %w", name, err)
	}
	_ = os.Chtimes(target, hdr.ModTime, hdr.ModTime) // cosmetic
	return ManifestEntry{Path: name, Type: typeFile, Mode: mode, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// checkManifest compares what the archive held with its manifest.
func checkManifest(raw []byte, got []ManifestEntry) error {
	var m Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return refuse(ErrCorrupt, "read %s: %v", manifestEntry, err)
	}
	if m.Format != Format {
		return refuse(ErrCorrupt, "%s has format %d; this left4me reads format %d", manifestEntry, m.Format, Format)
	}
	want := make(map[string]ManifestEntry, len(m.Entries))
	for _, e := range m.Entries {
		want[e.Path] = e
	}
	if len(want) != len(m.Entries) {
		return refuse(ErrCorrupt, "%s lists a path twice", manifestEntry)
	}
	for _, g := range got {
		w, ok := want[g.Path]
		if !ok {
			return refuse(ErrCorrupt, "%q is not in the manifest (added after the backup was made)", g.Path)
		}
		if g.Type == typeDir || g.Type == typeFile {
			w.Mode &= 0o777
		}
		if w != g {
			return refuse(ErrCorrupt, "%q differs from the manifest (changed after the backup was made)", g.Path)
		}
		delete(want, g.Path)
	}
	for p := range want {
		return refuse(ErrCorrupt, "%q is in the manifest but not in the archive (removed, or the archive was cut short)", p)
	}
	return nil
}

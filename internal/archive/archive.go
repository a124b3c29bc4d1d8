// Package archive safely extracts uploaded archives (zip, tar, tar.gz) or a single
// uploaded file into a new directory that becomes a content layer.
//
// Uploads come from outside, so extraction refuses anything that could write outside
// the destination or exhaust the disk: absolute paths, ".." components, Windows drive
// letters and backslashes, NUL/control characters, invalid UTF-8, every kind of link
// (symbolic and hard — left4me refuses links outright rather than resolving them),
// device/FIFO/socket entries, duplicate entries, and archives whose file count, file
// size, total size or compression ratio exceed the caller's Limits. Sizes are counted
// from the bytes actually written, never taken from the archive's headers.
//
// As a second line of defence all writes go through an os.Root opened on the target
// directory, so even a bug in the name checks cannot make the kernel resolve a path
// outside it. Extraction happens in a temporary sibling of the destination that is
// renamed into place only when everything succeeded: a refused archive leaves nothing.
package archive

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// Format is an upload's container format.
type Format int

// Formats accepted by Extract.
const (
	// FormatAuto detects zip, tar or tar.gz from the magic bytes.
	FormatAuto Format = iota
	FormatZip
	FormatTar
	FormatTarGz
	// FormatFile stores the upload as one file; the prefix names the file itself.
	FormatFile
)

func (f Format) String() string {
	switch f {
	case FormatAuto:
		return "auto"
	case FormatZip:
		return "zip"
	case FormatTar:
		return "tar"
	case FormatTarGz:
		return "tar.gz"
	case FormatFile:
		return "file"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// GameDir is the directory every prefix must start with: uploads may only add files
// to the game directory of the installation.
const GameDir = "left4dead2"

// Errors describing why an upload was refused. Errors about one entry are
// *EntryError values wrapping one of these.
var (
	ErrUnknownFormat = errors.New("not a zip, tar or tar.gz archive")
	ErrBadPrefix     = errors.New("target path must be inside " + GameDir + "/")
	ErrDestExists    = errors.New("destination already exists")
	ErrUnsafePath    = errors.New("unsafe path")
	ErrLink          = errors.New("links are not allowed")
	ErrSpecialFile   = errors.New("only regular files and directories are allowed")
	ErrDuplicate     = errors.New("duplicate entry")
	ErrTooManyFiles  = errors.New("too many entries")
	ErrFileTooLarge  = errors.New("file too large")
	ErrTotalTooLarge = errors.New("archive expands to too much data")
	ErrRatio         = errors.New("compression ratio too high")
)

// EntryError is a refusal caused by one archive entry.
type EntryError struct {
	// Entry is the entry's name as stored in the archive.
	Entry string
	Err   error
}

func (e *EntryError) Error() string { return fmt.Sprintf("entry %q: %v", e.Entry, e.Err) }
func (e *EntryError) Unwrap() error { return e.Err }

func entryErr(name string, err error, format string, args ...any) error {
	return &EntryError{Entry: name, Err: fmt.Errorf("%w: %s", err, fmt.Sprintf(format, args...))}
}

// Limits bound what an upload may expand to. A zero field takes its value from
// DefaultLimits.
type Limits struct {
	// MaxFiles is the most entries (files and directories) an archive may hold.
	MaxFiles int
	// MaxFileSize is the largest size of one extracted file, in bytes.
	MaxFileSize int64
	// MaxTotalSize is the largest total size of all extracted files, in bytes.
	MaxTotalSize int64
	// MaxRatio is the largest ratio of extracted bytes to compressed bytes, checked
	// per zip entry and for the whole archive once more than RatioFloor bytes have
	// been written (small, very compressible files such as configs are fine).
	MaxRatio int64
}

// RatioFloor is how many bytes an entry (or the whole archive) may expand to before
// MaxRatio is enforced on it.
const RatioFloor = 1 << 20

// DefaultLimits suit Left 4 Dead 2 content: map packs hold a few large .bsp/.vpk files.
func DefaultLimits() Limits {
	return Limits{
		MaxFiles:     50_000,
		MaxFileSize:  4 << 30,
		MaxTotalSize: 8 << 30,
		MaxRatio:     100,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxFiles <= 0 {
		l.MaxFiles = d.MaxFiles
	}
	if l.MaxFileSize <= 0 {
		l.MaxFileSize = d.MaxFileSize
	}
	if l.MaxTotalSize <= 0 {
		l.MaxTotalSize = d.MaxTotalSize
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = d.MaxRatio
	}
	return l
}

// Result summarises a successful extraction.
type Result struct {
	Format Format
	// Files and Dirs count the entries extracted (directories created implicitly as
	// parents are not counted).
	Files int
	Dirs  int
	// Bytes is the total size of the extracted files.
	Bytes int64
}

// Detect identifies zip, tar and gzip (assumed to be tar.gz) by their magic bytes.
func Detect(r io.ReaderAt, size int64) (Format, error) {
	if size < 0 {
		return FormatAuto, fmt.Errorf("detect archive format: negative size %d", size)
	}
	var b [512]byte
	n, err := r.ReadAt(b[:min(size, int64(len(b)))], 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return FormatAuto, fmt.Errorf("read archive header: %w", err)
	}
	h := b[:n]
	switch {
	case len(h) >= 4 && h[0] == 'P' && h[1] == 'K' && (h[2] == 3 && h[3] == 4 || h[2] == 5 && h[3] == 6):
		return FormatZip, nil
	case len(h) >= 2 && h[0] == 0x1f && h[1] == 0x8b:
		return FormatTarGz, nil
	case len(h) >= 262 && string(h[257:262]) == "ustar":
		return FormatTar, nil
	}
	return FormatAuto, ErrUnknownFormat
}

// TempPrefix starts the name of the temporary sibling directory Extract works in
// (".NAME" + TempPrefix + random). A crash can leave one behind; such directories
// are safe to delete.
const TempPrefix = ".extract-"

// Extract unpacks the upload r (size bytes) into the new directory dest, placing its
// entries under dest/prefix. prefix is a slash-separated relative path starting with
// "left4dead2" (e.g. "left4dead2/addons"); for FormatFile it names the file to create
// (e.g. "left4dead2/cfg/server.cfg"). dest must not exist yet; its parent must.
// On any error nothing is left behind.
func Extract(ctx context.Context, r io.ReaderAt, size int64, format Format, dest, prefix string, limits Limits) (res Result, err error) {
	if size < 0 {
		return Result{}, fmt.Errorf("extract: negative size %d", size)
	}
	limits = limits.withDefaults()
	pfx, err := cleanPrefix(prefix, format == FormatFile)
	if err != nil {
		return Result{}, err
	}
	if format == FormatAuto {
		if format, err = Detect(r, size); err != nil {
			return Result{}, err
		}
	}
	if format < FormatZip || format > FormatFile {
		return Result{}, fmt.Errorf("extract: unknown format %v", format)
	}
	if _, err := os.Lstat(dest); err == nil {
		return Result{}, fmt.Errorf("extract to %s: %w", dest, ErrDestExists)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return Result{}, fmt.Errorf("extract to %s: %w", dest, err)
	}

	tmp, err := os.MkdirTemp(filepath.Dir(dest), "."+filepath.Base(dest)+TempPrefix+"*")
	if err != nil {
		return Result{}, fmt.Errorf("create temporary directory for %s: %w", dest, err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()

	// The directory the Root is opened on: the prefix, or its parent for one file.
	rootRel := pfx
	if format == FormatFile {
		rootRel = path.Dir(pfx)
	}
	rootDir := filepath.Join(tmp, filepath.FromSlash(rootRel))
	if err := os.MkdirAll(rootDir, 0o755); err != nil {
		return Result{}, fmt.Errorf("create %s: %w", rootRel, err)
	}
	for d := rootRel; d != "."; d = path.Dir(d) {
		if err := os.Chmod(filepath.Join(tmp, filepath.FromSlash(d)), 0o755); err != nil {
			return Result{}, fmt.Errorf("chmod %s: %w", d, err)
		}
	}
	root, err := os.OpenRoot(rootDir)
	if err != nil {
		return Result{}, fmt.Errorf("open extraction root: %w", err)
	}
	defer root.Close()

	x := &extractor{
		ctx:          ctx,
		root:         root,
		limits:       limits,
		size:         size,
		files:        map[string]bool{},
		dirs:         map[string]bool{},
		explicitDirs: map[string]bool{},
	}
	switch format {
	case FormatZip:
		err = x.zip(r, size)
	case FormatTar:
		err = x.tar(io.NewSectionReader(r, 0, size))
	case FormatTarGz:
		err = x.tarGz(io.NewSectionReader(r, 0, size))
	case FormatFile:
		name := path.Base(pfx)
		x.res.Files++
		err = x.writeFile(name, name, io.NewSectionReader(r, 0, size), -1)
	}
	if err != nil {
		return Result{}, err
	}
	if err := root.Close(); err != nil {
		return Result{}, fmt.Errorf("close extraction root: %w", err)
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return Result{}, fmt.Errorf("chmod %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, dest); err != nil {
		return Result{}, fmt.Errorf("move extracted files into place: %w", err)
	}
	x.res.Format = format
	return x.res, nil
}

// cleanPrefix validates the target path and returns it in clean form.
func cleanPrefix(prefix string, isFile bool) (string, error) {
	p, _, err := cleanName(prefix)
	if err != nil {
		return "", fmt.Errorf("target path %q: %w (%v)", prefix, ErrBadPrefix, err)
	}
	if p != GameDir && !strings.HasPrefix(p, GameDir+"/") {
		return "", fmt.Errorf("target path %q: %w", prefix, ErrBadPrefix)
	}
	if isFile && p == GameDir {
		return "", fmt.Errorf("target path %q: %w: a single file needs a file name", prefix, ErrBadPrefix)
	}
	if last := prefix[strings.LastIndexByte(prefix, '/')+1:]; isFile && (last == "" || last == ".") {
		return "", fmt.Errorf("target path %q: %w: a single file needs a file name", prefix, ErrBadPrefix)
	}
	return p, nil
}

const (
	maxNameLen = 255
	maxPathLen = 4096
)

// cleanName checks an entry name and returns it cleaned of "." and empty components,
// plus whether it named a directory (trailing slash). The clean name of the archive
// root ("./") is "".
func cleanName(raw string) (string, bool, error) {
	if !utf8.ValidString(raw) {
		return "", false, fmt.Errorf("%w: name is not valid UTF-8", ErrUnsafePath)
	}
	for _, c := range raw {
		if c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) {
			return "", false, fmt.Errorf("%w: name contains control character %U", ErrUnsafePath, c)
		}
	}
	if strings.ContainsRune(raw, '\\') {
		return "", false, fmt.Errorf("%w: name contains a backslash", ErrUnsafePath)
	}
	if len(raw) >= 2 && raw[1] == ':' && (raw[0]|0x20 >= 'a' && raw[0]|0x20 <= 'z') {
		return "", false, fmt.Errorf("%w: name starts with a Windows drive letter", ErrUnsafePath)
	}
	if strings.HasPrefix(raw, "/") {
		return "", false, fmt.Errorf("%w: absolute path", ErrUnsafePath)
	}
	if len(raw) > maxPathLen {
		return "", false, fmt.Errorf("%w: name longer than %d bytes", ErrUnsafePath, maxPathLen)
	}
	isDir := strings.HasSuffix(raw, "/")
	var parts []string
	for _, c := range strings.Split(raw, "/") {
		switch {
		case c == "" || c == ".":
			continue
		case c == "..":
			return "", false, fmt.Errorf("%w: name contains a .. component", ErrUnsafePath)
		case len(c) > maxNameLen:
			return "", false, fmt.Errorf("%w: a component is longer than %d bytes", ErrUnsafePath, maxNameLen)
		}
		parts = append(parts, c)
	}
	return strings.Join(parts, "/"), isDir, nil
}

// extractor writes validated entries below root and enforces the limits.
type extractor struct {
	ctx     context.Context
	root    *os.Root
	limits  Limits
	size    int64 // of the upload, for the overall ratio
	res     Result
	entries int
	files   map[string]bool // clean names of files written
	dirs    map[string]bool // clean names of directories created (explicitly or as parents)
	// explicitDirs are the directories the archive listed as entries.
	explicitDirs map[string]bool
}

// countEntry enforces MaxFiles.
func (x *extractor) countEntry(raw string) error {
	x.entries++
	if x.entries > x.limits.MaxFiles {
		return entryErr(raw, ErrTooManyFiles, "more than %d entries", x.limits.MaxFiles)
	}
	return nil
}

// mkdir creates the directory name (clean, relative to root) and its parents.
func (x *extractor) mkdir(raw, name string, explicit bool) error {
	if name == "" {
		return nil
	}
	if explicit {
		if x.explicitDirs[name] {
			return entryErr(raw, ErrDuplicate, "directory %q appears twice", name)
		}
		x.explicitDirs[name] = true
	}
	parts := strings.Split(name, "/")
	for i := range parts {
		d := strings.Join(parts[:i+1], "/")
		if x.dirs[d] {
			continue
		}
		if x.files[d] {
			return entryErr(raw, ErrDuplicate, "%q is already a file", d)
		}
		if err := x.root.Mkdir(d, 0o755); err != nil {
			return &EntryError{Entry: raw, Err: fmt.Errorf("create directory %q: %w", d, err)}
		}
		if err := x.root.Chmod(d, 0o755); err != nil {
			return &EntryError{Entry: raw, Err: fmt.Errorf("chmod directory %q: %w", d, err)}
		}
		x.dirs[d] = true
	}
	return nil
}

// writeFile creates the file name (clean, relative to root) from r. compressed is the
// entry's compressed size for the per-entry ratio check, or -1 when not applicable.
func (x *extractor) writeFile(raw, name string, r io.Reader, compressed int64) (err error) {
	if name == "" {
		return entryErr(raw, ErrUnsafePath, "a file needs a name")
	}
	if x.files[name] {
		return entryErr(raw, ErrDuplicate, "file %q appears twice", name)
	}
	if x.dirs[name] {
		return entryErr(raw, ErrDuplicate, "%q is already a directory", name)
	}
	if dir := path.Dir(name); dir != "." {
		if err := x.mkdir(raw, dir, false); err != nil {
			return err
		}
	}
	x.files[name] = true
	f, err := x.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return &EntryError{Entry: raw, Err: fmt.Errorf("create %q: %w", name, err)}
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = &EntryError{Entry: raw, Err: fmt.Errorf("close %q: %w", name, cerr)}
		}
	}()
	if err := f.Chmod(0o644); err != nil { // umask-proof, and never setuid
		return &EntryError{Entry: raw, Err: fmt.Errorf("chmod %q: %w", name, err)}
	}
	buf := make([]byte, 64<<10)
	var written int64
	for {
		if err := x.ctx.Err(); err != nil {
			return fmt.Errorf("extract: %w", err)
		}
		n, rerr := r.Read(buf)
		if n > 0 {
			written += int64(n)
			x.res.Bytes += int64(n)
			if written > x.limits.MaxFileSize {
				return entryErr(raw, ErrFileTooLarge, "larger than %d bytes", x.limits.MaxFileSize)
			}
			if x.res.Bytes > x.limits.MaxTotalSize {
				return entryErr(raw, ErrTotalTooLarge, "archive expands to more than %d bytes", x.limits.MaxTotalSize)
			}
			if compressed >= 0 && written > RatioFloor && written/x.limits.MaxRatio > max(compressed, 1) {
				return entryErr(raw, ErrRatio, "expands %d compressed bytes to more than %d (limit %d:1)", compressed, written, x.limits.MaxRatio)
			}
			if x.res.Bytes > RatioFloor && x.res.Bytes/x.limits.MaxRatio > max(x.size, 1) {
				return entryErr(raw, ErrRatio, "a %d-byte archive expands to more than %d bytes (limit %d:1)", x.size, x.res.Bytes, x.limits.MaxRatio)
			}
			if _, werr := f.Write(buf[:n]); werr != nil {
				return &EntryError{Entry: raw, Err: fmt.Errorf("write %q: %w", name, werr)}
			}
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return &EntryError{Entry: raw, Err: fmt.Errorf("read: %w", rerr)}
		}
	}
}

func (x *extractor) zip(r io.ReaderAt, size int64) error {
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		// ErrInsecurePath (only with GODEBUG=zipinsecurepath=0) is handled below,
		// per entry, with a message naming the entry.
		return fmt.Errorf("read zip: %w", err)
	}
	if len(zr.File) > x.limits.MaxFiles {
		return fmt.Errorf("%w: the zip lists %d entries, more than %d", ErrTooManyFiles, len(zr.File), x.limits.MaxFiles)
	}
	for _, f := range zr.File {
		if err := x.ctx.Err(); err != nil {
			return fmt.Errorf("extract: %w", err)
		}
		if err := x.countEntry(f.Name); err != nil {
			return err
		}
		name, isDir, err := cleanName(f.Name)
		if err != nil {
			return &EntryError{Entry: f.Name, Err: err}
		}
		mode := f.Mode()
		switch {
		case mode&fs.ModeSymlink != 0:
			return entryErr(f.Name, ErrLink, "symbolic link")
		case mode.IsDir() || isDir:
			if err := x.mkdir(f.Name, name, true); err != nil {
				return err
			}
			if name != "" {
				x.res.Dirs++
			}
			continue
		case !mode.IsRegular():
			return entryErr(f.Name, ErrSpecialFile, "file mode %v", mode)
		}
		rc, err := f.Open()
		if err != nil {
			return &EntryError{Entry: f.Name, Err: fmt.Errorf("open: %w", err)}
		}
		x.res.Files++
		err = x.writeFile(f.Name, name, rc, int64(min(f.CompressedSize64, 1<<62)))
		rc.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

func (x *extractor) tarGz(r io.Reader) error {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return fmt.Errorf("read gzip: %w", err)
	}
	defer gz.Close()
	// Entries other than regular files (directories, skipped headers) can declare
	// data that tar discards without it ever being written, so the decompressed
	// stream itself is bounded too: by the ratio and by the total size plus room for
	// headers.
	headroom := int64(x.limits.MaxFiles)*8<<10 + RatioFloor
	return x.tar(&streamLimit{r: gz, x: x, max: x.limits.MaxTotalSize + headroom})
}

// streamLimit bounds the bytes read from a decompressor.
type streamLimit struct {
	r   io.Reader
	x   *extractor
	n   int64
	max int64
}

func (s *streamLimit) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.n += int64(n)
	if s.n > s.max {
		return n, fmt.Errorf("%w: decompressed stream exceeds %d bytes", ErrTotalTooLarge, s.max)
	}
	if s.n > RatioFloor && s.n/s.x.limits.MaxRatio > max(s.x.size, 1) {
		return n, fmt.Errorf("%w: a %d-byte archive decompresses to more than %d bytes (limit %d:1)", ErrRatio, s.x.size, s.n, s.x.limits.MaxRatio)
	}
	return n, err
}

func (x *extractor) tar(r io.Reader) error {
	tr := tar.NewReader(r)
	for {
		if err := x.ctx.Err(); err != nil {
			return fmt.Errorf("extract: %w", err)
		}
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil && !(errors.Is(err, tar.ErrInsecurePath) && h != nil) {
			return fmt.Errorf("read tar: %w", err)
		}
		if h.Typeflag == tar.TypeXGlobalHeader {
			continue // PAX global header: metadata, not a file
		}
		if err := x.countEntry(h.Name); err != nil {
			return err
		}
		name, isDir, err := cleanName(h.Name)
		if err != nil {
			return &EntryError{Entry: h.Name, Err: err}
		}
		switch h.Typeflag {
		case tar.TypeReg, '\x00': // '\x00' is the pre-POSIX regular file flag
			if isDir {
				return entryErr(h.Name, ErrUnsafePath, "regular file with a directory name")
			}
			if h.Size > x.limits.MaxFileSize {
				return entryErr(h.Name, ErrFileTooLarge, "declares %d bytes, more than %d", h.Size, x.limits.MaxFileSize)
			}
			x.res.Files++
			if err := x.writeFile(h.Name, name, tr, -1); err != nil {
				return err
			}
		case tar.TypeDir:
			if err := x.mkdir(h.Name, name, true); err != nil {
				return err
			}
			if name != "" {
				x.res.Dirs++
			}
		case tar.TypeSymlink:
			return entryErr(h.Name, ErrLink, "symbolic link to %q", h.Linkname)
		case tar.TypeLink:
			return entryErr(h.Name, ErrLink, "hard link to %q", h.Linkname)
		case tar.TypeChar, tar.TypeBlock:
			return entryErr(h.Name, ErrSpecialFile, "device node")
		case tar.TypeFifo:
			return entryErr(h.Name, ErrSpecialFile, "named pipe")
		default:
			return entryErr(h.Name, ErrSpecialFile, "unsupported tar entry type %q", h.Typeflag)
		}
	}
}

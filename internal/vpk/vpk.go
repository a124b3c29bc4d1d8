// Package vpk reads the directory of Valve Pak (VPK) files, the format Left 4 Dead 2
// addons and Workshop items ship in, and the addon metadata stored inside them
// (addoninfo.txt, missions/*.txt). It also writes small single-file VPKs for tests and
// fake servers.
//
// Everything here parses input from outside (Workshop downloads, uploads), so every
// length and offset read from a file is checked against the file's real size before it
// is used, allocations are bounded by the input size and by fixed caps, and a malformed
// file yields an error wrapping ErrCorrupt that says what was wrong.
package vpk

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"sort"
	"strings"
)

// Signature is the magic number every VPK starts with (little endian uint32).
const Signature = 0x55AA1234

// EmbeddedIndex is the archive index of entries whose data is stored in the directory
// file itself, after the tree. Single-file VPKs (addons) use it for every entry.
const EmbeddedIndex = 0x7FFF

const (
	entryTerminator = 0xFFFF
	headerSizeV1    = 12
	headerSizeV2    = 28
	entryFixedSize  = 18 // crc32, preload u16, archive u16, offset u32, length u32, terminator u16
)

// Caps applied regardless of what a header claims, so a hostile file cannot make the
// parser allocate more than a few tens of MiB.
const (
	// MaxTreeSize is the largest directory tree accepted.
	MaxTreeSize = 64 << 20
	// MaxEntries is the largest number of files accepted in one VPK.
	MaxEntries = 1 << 18
)

// Errors returned (wrapped) by this package.
var (
	// ErrCorrupt marks a VPK whose structure is invalid; the wrapping error says where.
	ErrCorrupt = errors.New("corrupt vpk")
	// ErrExternal is returned by ReadFile for entries stored in a separate numbered
	// archive (pak01_000.vpk…), which this package does not open.
	ErrExternal = errors.New("file data is in an external vpk archive")
)

// Entry describes one file in a VPK directory.
type Entry struct {
	// Path is the file's path inside the VPK with forward slashes, as stored
	// (e.g. "maps/c1m1_hotel.bsp"). Lookups through ReadFile ignore case.
	Path string
	// Size is the file's full size: preload bytes plus archived bytes.
	Size int64
	// CRC is the CRC-32 (IEEE) of the file's full contents, as stored.
	CRC uint32
	// ArchiveIndex is EmbeddedIndex when the data is inside this file, otherwise the
	// number of the external archive holding it.
	ArchiveIndex uint16

	preload []byte
	offset  uint32
	length  uint32
}

// Embedded reports whether the entry's data is stored in this VPK file.
func (e Entry) Embedded() bool { return e.ArchiveIndex == EmbeddedIndex }

// Archive is a parsed VPK directory. It keeps reading file data from the ReaderAt it
// was parsed from, so that must stay valid until the Archive is no longer used.
type Archive struct {
	r       io.ReaderAt
	closer  io.Closer
	version uint32
	// dataStart is the absolute offset where embedded file data begins (after the
	// header and the tree); dataLen is the length of that section.
	dataStart int64
	dataLen   int64
	entries   []Entry
	index     map[string]int
}

// Open opens and parses the VPK file at path. Close the Archive when done.
func Open(path string) (*Archive, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open vpk: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("stat vpk %s: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("open vpk %s: not a regular file", path)
	}
	a, err := Parse(f, st.Size())
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	a.closer = f
	return a, nil
}

// Close releases the file opened by Open. It is a no-op for archives made by Parse.
func (a *Archive) Close() error {
	if a.closer == nil {
		return nil
	}
	err := a.closer.Close()
	a.closer = nil
	return err
}

// Version is the VPK format version (1 or 2).
func (a *Archive) Version() int { return int(a.version) }

// Files lists the VPK's files sorted by path.
func (a *Archive) Files() []Entry {
	out := make([]Entry, len(a.entries))
	copy(out, a.entries)
	return out
}

// Stat returns the entry for name (case-insensitive, forward or back slashes).
func (a *Archive) Stat(name string) (Entry, error) {
	i, ok := a.index[normalize(name)]
	if !ok {
		return Entry{}, fmt.Errorf("vpk file %q: %w", name, fs.ErrNotExist)
	}
	return a.entries[i], nil
}

// ReadFile returns the contents of the named file and verifies its CRC. Only files
// embedded in this VPK (EmbeddedIndex) can be read.
func (a *Archive) ReadFile(name string) ([]byte, error) {
	e, err := a.Stat(name)
	if err != nil {
		return nil, err
	}
	if !e.Embedded() {
		return nil, fmt.Errorf("vpk file %q (archive %d): %w", e.Path, e.ArchiveIndex, ErrExternal)
	}
	// Size was checked against the file's size when the directory was parsed.
	buf := make([]byte, e.Size)
	n := copy(buf, e.preload)
	if e.length > 0 {
		if _, err := a.r.ReadAt(buf[n:], a.dataStart+int64(e.offset)); err != nil {
			if errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("%w: data of %q is truncated", ErrCorrupt, e.Path)
			}
			return nil, fmt.Errorf("read vpk file %q: %w", e.Path, err)
		}
	}
	if got := crc32.ChecksumIEEE(buf); got != e.CRC {
		return nil, fmt.Errorf("%w: crc mismatch for %q: stored %08x, computed %08x", ErrCorrupt, e.Path, e.CRC, got)
	}
	return buf, nil
}

// Verify reads every file embedded in the VPK and checks its CRC, streaming so that
// memory use does not depend on file sizes. It returns the first problem found, as an
// error wrapping ErrCorrupt that names the file. Entries in external archives are
// skipped.
func (a *Archive) Verify(ctx context.Context) error {
	buf := make([]byte, 256<<10)
	for _, e := range a.entries {
		if !e.Embedded() {
			continue
		}
		h := crc32.NewIEEE()
		h.Write(e.preload)
		sr := io.NewSectionReader(a.r, a.dataStart+int64(e.offset), int64(e.length))
		var done int64
		for done < int64(e.length) {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("verify vpk: %w", err)
			}
			n, err := sr.Read(buf)
			h.Write(buf[:n])
			done += int64(n)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return fmt.Errorf("verify vpk file %q: %w", e.Path, err)
			}
		}
		if done != int64(e.length) {
			return fmt.Errorf("%w: data of %q is truncated (%d of %d bytes)", ErrCorrupt, e.Path, done, e.length)
		}
		if got := h.Sum32(); got != e.CRC {
			return fmt.Errorf("%w: crc mismatch for %q: stored %08x, computed %08x", ErrCorrupt, e.Path, e.CRC, got)
		}
	}
	return nil
}

// Parse reads the VPK directory from r, whose total length is size.
func Parse(r io.ReaderAt, size int64) (*Archive, error) {
	if size < headerSizeV1 {
		return nil, fmt.Errorf("%w: file is %d bytes, shorter than a header", ErrCorrupt, size)
	}
	var hdr [headerSizeV2]byte
	n := headerSizeV1
	if size >= headerSizeV2 {
		n = headerSizeV2
	}
	if _, err := r.ReadAt(hdr[:n], 0); err != nil {
		return nil, fmt.Errorf("read vpk header: %w", err)
	}
	le := binary.LittleEndian
	if sig := le.Uint32(hdr[0:]); sig != Signature {
		return nil, fmt.Errorf("%w: bad signature %#08x (want %#08x)", ErrCorrupt, sig, Signature)
	}
	a := &Archive{r: r, version: le.Uint32(hdr[4:])}
	treeSize := int64(le.Uint32(hdr[8:]))
	var headerSize int64
	switch a.version {
	case 1:
		headerSize = headerSizeV1
	case 2:
		if n < headerSizeV2 {
			return nil, fmt.Errorf("%w: file is %d bytes, shorter than a version 2 header", ErrCorrupt, size)
		}
		headerSize = headerSizeV2
	default:
		return nil, fmt.Errorf("%w: unsupported version %d", ErrCorrupt, a.version)
	}
	if treeSize > size-headerSize {
		return nil, fmt.Errorf("%w: tree size %d exceeds the %d bytes after the header", ErrCorrupt, treeSize, size-headerSize)
	}
	if treeSize > MaxTreeSize {
		return nil, fmt.Errorf("%w: tree size %d exceeds the limit of %d", ErrCorrupt, treeSize, MaxTreeSize)
	}
	a.dataStart = headerSize + treeSize
	a.dataLen = size - a.dataStart
	if a.version == 2 {
		fileData := int64(le.Uint32(hdr[12:]))
		archiveMD5 := int64(le.Uint32(hdr[16:]))
		otherMD5 := int64(le.Uint32(hdr[20:]))
		signature := int64(le.Uint32(hdr[24:]))
		// Each term is < 2^32, so the sum cannot overflow int64.
		if total := fileData + archiveMD5 + otherMD5 + signature; total > a.dataLen {
			return nil, fmt.Errorf("%w: version 2 sections (data %d, archive md5 %d, other md5 %d, signature %d) exceed the %d bytes after the tree",
				ErrCorrupt, fileData, archiveMD5, otherMD5, signature, a.dataLen)
		}
		a.dataLen = fileData
	}

	tree := make([]byte, treeSize)
	if _, err := r.ReadAt(tree, headerSize); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: tree is truncated", ErrCorrupt)
		}
		return nil, fmt.Errorf("read vpk tree: %w", err)
	}
	if err := a.parseTree(tree); err != nil {
		return nil, err
	}
	sort.Slice(a.entries, func(i, j int) bool { return a.entries[i].Path < a.entries[j].Path })
	a.index = make(map[string]int, len(a.entries))
	for i, e := range a.entries {
		a.index[normalize(e.Path)] = i
	}
	return a, nil
}

// treeReader walks the directory tree with bounds checks on every read.
type treeReader struct {
	b   []byte
	pos int
}

func (t *treeReader) str(what string) (string, error) {
	i := indexByte(t.b[t.pos:], 0)
	if i < 0 {
		return "", fmt.Errorf("%w: tree is truncated: unterminated %s at tree offset %d", ErrCorrupt, what, t.pos)
	}
	s := string(t.b[t.pos : t.pos+i])
	t.pos += i + 1
	return s, nil
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

func (a *Archive) parseTree(tree []byte) error {
	t := &treeReader{b: tree}
	le := binary.LittleEndian
	seen := make(map[string]bool)
	for {
		ext, err := t.str("extension")
		if err != nil {
			return err
		}
		if ext == "" {
			return nil
		}
		for {
			dir, err := t.str("directory")
			if err != nil {
				return err
			}
			if dir == "" {
				break
			}
			for {
				name, err := t.str("file name")
				if err != nil {
					return err
				}
				if name == "" {
					break
				}
				p := joinPath(dir, name, ext)
				if len(tree)-t.pos < entryFixedSize {
					return fmt.Errorf("%w: tree is truncated in the entry for %q", ErrCorrupt, p)
				}
				b := tree[t.pos : t.pos+entryFixedSize]
				t.pos += entryFixedSize
				e := Entry{
					Path:         p,
					CRC:          le.Uint32(b[0:]),
					ArchiveIndex: le.Uint16(b[6:]),
					offset:       le.Uint32(b[8:]),
					length:       le.Uint32(b[12:]),
				}
				preload := int(le.Uint16(b[4:]))
				if term := le.Uint16(b[16:]); term != entryTerminator {
					return fmt.Errorf("%w: entry for %q has terminator %#04x (want 0xffff)", ErrCorrupt, p, term)
				}
				if len(tree)-t.pos < preload {
					return fmt.Errorf("%w: tree is truncated in the %d preload bytes of %q", ErrCorrupt, preload, p)
				}
				e.preload = tree[t.pos : t.pos+preload : t.pos+preload]
				t.pos += preload
				e.Size = int64(preload) + int64(e.length)
				if e.Embedded() && e.length > 0 && int64(e.offset)+int64(e.length) > a.dataLen {
					return fmt.Errorf("%w: data of %q (offset %d, length %d) lies beyond the %d-byte data section",
						ErrCorrupt, p, e.offset, e.length, a.dataLen)
				}
				key := normalize(p)
				if seen[key] {
					return fmt.Errorf("%w: duplicate entry %q", ErrCorrupt, p)
				}
				seen[key] = true
				if len(a.entries) >= MaxEntries {
					return fmt.Errorf("%w: more than %d entries", ErrCorrupt, MaxEntries)
				}
				a.entries = append(a.entries, e)
			}
		}
	}
}

// joinPath builds an entry's path from the tree's parts. A single space stands for
// "no directory" and "no extension".
func joinPath(dir, name, ext string) string {
	var sb strings.Builder
	if dir != " " {
		sb.WriteString(strings.Trim(dir, "/"))
		sb.WriteByte('/')
	}
	sb.WriteString(name)
	if ext != " " {
		sb.WriteByte('.')
		sb.WriteString(ext)
	}
	return sb.String()
}

// normalize maps a path to the lookup key: lower case, forward slashes, no leading slash.
func normalize(p string) string {
	p = strings.ReplaceAll(p, `\`, "/")
	p = strings.TrimLeft(p, "/")
	return strings.ToLower(p)
}

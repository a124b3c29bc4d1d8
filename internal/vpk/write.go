package vpk

import (
	"bytes"
	"crypto/md5"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"sort"
	"strings"
)

// WriteOptions controls Write's output.
type WriteOptions struct {
	// Version is the header version, 1 (what Left 4 Dead 2's tools write) or 2.
	// Zero means 1.
	Version int
	// Preload stores up to this many leading bytes of each file inside the directory
	// tree (the format's "preload" bytes) instead of the data section. At most 65535.
	Preload int
}

// Write writes files (path → contents) as a version 1 single-file VPK: every entry has
// archive index EmbeddedIndex and its data follows the tree. Output is deterministic.
func Write(w io.Writer, files map[string][]byte) error {
	return WriteWith(w, files, WriteOptions{})
}

type writeFile struct {
	dir, name, ext string
	data           []byte
}

// WriteWith is Write with options. For version 2 it writes an empty archive-MD5
// section and a 48-byte "other MD5" section (MD5 of the tree, of the archive-MD5
// section, and of every byte written before that last checksum); this package's parser
// does not verify them.
func WriteWith(w io.Writer, files map[string][]byte, opt WriteOptions) error {
	version := opt.Version
	if version == 0 {
		version = 1
	}
	if version != 1 && version != 2 {
		return fmt.Errorf("write vpk: unsupported version %d", version)
	}
	if opt.Preload < 0 || opt.Preload > math.MaxUint16 {
		return fmt.Errorf("write vpk: preload %d out of range 0..65535", opt.Preload)
	}

	// ext → dir → files, each level sorted so output is deterministic.
	tree := map[string]map[string][]writeFile{}
	seen := map[string]string{}
	for p, data := range files {
		dir, name, ext, err := splitPath(p)
		if err != nil {
			return fmt.Errorf("write vpk: %w", err)
		}
		if prev, dup := seen[normalize(p)]; dup {
			return fmt.Errorf("write vpk: %q and %q name the same file", prev, p)
		}
		seen[normalize(p)] = p
		if int64(len(data)) > math.MaxUint32 {
			return fmt.Errorf("write vpk: %q is larger than 4 GiB", p)
		}
		if tree[ext] == nil {
			tree[ext] = map[string][]writeFile{}
		}
		tree[ext][dir] = append(tree[ext][dir], writeFile{dir, name, ext, data})
	}

	var treeBuf bytes.Buffer
	var dataBuf bytes.Buffer
	le := binary.LittleEndian
	for _, ext := range sortedKeys(tree) {
		treeBuf.WriteString(ext)
		treeBuf.WriteByte(0)
		dirs := tree[ext]
		for _, dir := range sortedKeys(dirs) {
			treeBuf.WriteString(dir)
			treeBuf.WriteByte(0)
			fs := dirs[dir]
			sort.Slice(fs, func(i, j int) bool { return fs[i].name < fs[j].name })
			for _, f := range fs {
				treeBuf.WriteString(f.name)
				treeBuf.WriteByte(0)
				preload := min(opt.Preload, len(f.data))
				rest := f.data[preload:]
				if int64(dataBuf.Len())+int64(len(rest)) > math.MaxUint32 {
					return fmt.Errorf("write vpk: data section larger than 4 GiB")
				}
				var e [entryFixedSize]byte
				le.PutUint32(e[0:], crc32.ChecksumIEEE(f.data))
				le.PutUint16(e[4:], uint16(preload))
				le.PutUint16(e[6:], EmbeddedIndex)
				le.PutUint32(e[8:], uint32(dataBuf.Len()))
				le.PutUint32(e[12:], uint32(len(rest)))
				le.PutUint16(e[16:], entryTerminator)
				treeBuf.Write(e[:])
				treeBuf.Write(f.data[:preload])
				dataBuf.Write(rest)
			}
			treeBuf.WriteByte(0) // end of files in this directory
		}
		treeBuf.WriteByte(0) // end of directories for this extension
	}
	treeBuf.WriteByte(0) // end of extensions
	if treeBuf.Len() > MaxTreeSize {
		return fmt.Errorf("write vpk: tree of %d bytes exceeds the limit of %d", treeBuf.Len(), MaxTreeSize)
	}

	var out bytes.Buffer
	var hdr [headerSizeV2]byte
	le.PutUint32(hdr[0:], Signature)
	le.PutUint32(hdr[4:], uint32(version))
	le.PutUint32(hdr[8:], uint32(treeBuf.Len()))
	if version == 1 {
		out.Write(hdr[:headerSizeV1])
	} else {
		le.PutUint32(hdr[12:], uint32(dataBuf.Len()))
		le.PutUint32(hdr[16:], 0)  // archive MD5 section: no external archives
		le.PutUint32(hdr[20:], 48) // other MD5 section
		le.PutUint32(hdr[24:], 0)  // no signature
		out.Write(hdr[:])
	}
	out.Write(treeBuf.Bytes())
	out.Write(dataBuf.Bytes())
	if version == 2 {
		treeSum := md5.Sum(treeBuf.Bytes())
		archiveSum := md5.Sum(nil)
		out.Write(treeSum[:])
		out.Write(archiveSum[:])
		wholeSum := md5.Sum(out.Bytes())
		out.Write(wholeSum[:])
	}
	if _, err := w.Write(out.Bytes()); err != nil {
		return fmt.Errorf("write vpk: %w", err)
	}
	return nil
}

// splitPath splits "maps/c1m1.bsp" into ("maps", "c1m1", "bsp"), using " " for an
// empty directory or extension as the format does.
func splitPath(p string) (dir, name, ext string, err error) {
	if p == "" {
		return "", "", "", fmt.Errorf("empty file path")
	}
	if strings.ContainsAny(p, "\x00\\") {
		return "", "", "", fmt.Errorf("file path %q contains NUL or a backslash", p)
	}
	if strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") {
		return "", "", "", fmt.Errorf("file path %q must be relative and name a file", p)
	}
	for _, c := range strings.Split(p, "/") {
		if c == "" || c == "." || c == ".." || c == " " {
			return "", "", "", fmt.Errorf("file path %q has an invalid component %q", p, c)
		}
	}
	base := p
	dir = " "
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		dir, base = p[:i], p[i+1:]
	}
	name, ext = base, " "
	if i := strings.LastIndexByte(base, '.'); i >= 0 {
		name, ext = base[:i], base[i+1:]
	}
	if name == "" || name == " " || ext == "" {
		return "", "", "", fmt.Errorf("file path %q has an empty file name or extension", p)
	}
	return dir, name, ext, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

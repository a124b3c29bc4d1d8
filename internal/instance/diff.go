package instance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/left4me/left4me/internal/textdiff"

	"github.com/left4me/left4me/internal/overlay"
	"golang.org/x/sys/unix"
)

// FieldPath is the field naming a path inside an instance's upper (revert).
const FieldPath = "path"

// MaxTextDiff is the largest file (either side) shown as a text diff.
const MaxTextDiff = 1 << 20

// ChangeKind is what a path of an upper does to the instance's view.
type ChangeKind string

// The kinds of change.
const (
	// New: no lower layer has the path.
	New ChangeKind = "new"
	// Changed: the path shadows the same path of a lower layer.
	Changed ChangeKind = "changed"
	// Deleted: an overlay whiteout hides the path of a lower layer.
	Deleted ChangeKind = "deleted"
	// Opaque: a directory that hides everything lower layers have in it.
	Opaque ChangeKind = "opaque"
)

// Change is one path of an instance's upper and what it changes.
type Change struct {
	Path string // slash-separated, relative to the upper
	Kind ChangeKind
	Type string // "file", "directory", "symlink" (for Deleted: what is hidden)
	Size int64  // of the upper's file (for Deleted: of the hidden one)
	// Shadows names the layer whose path this one shadows, hides or
	// replaces ("installation GEN", "layer ID (GEN)", "workshop item ID
	// (REV)"); empty for New.
	Shadows string
	// Diff is the unified diff from the shadowed text file to this one,
	// for text files of at most MaxTextDiff bytes; Note says why there is
	// none when the file changed.
	Diff string
	Note string
}

// Diff lists every path of an instance's upper that differs from its lower
// layers: the stack it was last started with (its instance.env), or, never
// started, the one its next start mounts. The launch cfg, which holds the
// RCON password, is left out.
func (s *Service) Diff(ctx context.Context, name string) ([]Change, error) {
	in, err := s.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	var lowers []string
	if env, err := overlay.ReadEnvFile(s.root.InstanceEnv(name)); err == nil && len(env.LowerDirs) > 0 {
		lowers = env.LowerDirs
	} else if lowers, err = s.lowerDirs(in); err != nil {
		return nil, fmt.Errorf("diff %s: %w", name, err)
	}
	// NOTE: each layer is read through an os.Root: a symlink inside a
	// layer cannot lead the diff (which shows file contents) out of it.
	roots := make([]*os.Root, 0, len(lowers))
	dirs := make([]string, 0, len(lowers))
	for _, l := range lowers {
		r, err := os.OpenRoot(l)
		if err != nil {
			continue // a layer GC removed: nothing in it is shadowed
		}
		defer r.Close()
		roots, dirs = append(roots, r), append(dirs, l)
	}
	upper := s.root.Upper(name)
	changes := []Change{}
	var opaque []string // directories below which no lower layer counts
	err = filepath.WalkDir(upper, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == upper {
				return filepath.SkipAll
			}
			return err
		}
		if p == upper {
			return nil
		}
		rel := filepath.ToSlash(p[len(upper)+1:])
		if rel == "left4dead2/cfg/"+LaunchCfgName || rel == "left4dead2/cfg/"+BansCfgName {
			return nil // staged by left4me at every start
		}
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return err
		}
		hidden := false
		for _, o := range opaque {
			hidden = hidden || isUnder(rel, o) && rel != o
		}
		var lower *os.Root // the layer that has rel
		var lowerInfo os.FileInfo
		lowerDir := ""
		if !hidden {
			for i, r := range roots {
				if fi, err := r.Lstat(filepath.FromSlash(rel)); err == nil {
					lower, lowerInfo, lowerDir = r, fi, dirs[i]
					break
				}
			}
		}
		c := Change{Path: rel, Type: fileType(st.Mode), Size: st.Size}
		if lowerDir != "" {
			c.Shadows = s.layerLabel(lowerDir)
		}
		switch {
		case st.Mode&unix.S_IFMT == unix.S_IFCHR && st.Rdev == 0:
			c.Kind = Deleted
			c.Type, c.Size = "", 0
			if lowerInfo != nil {
				c.Type, c.Size = fileType(unixMode(lowerInfo)), lowerInfo.Size()
			}
		case d.IsDir() && isOpaque(p):
			c.Kind, c.Size = Opaque, 0
			opaque = append(opaque, rel)
		case d.IsDir() && lower != nil:
			return nil // a directory holding changes; they are listed
		case d.IsDir():
			c.Kind, c.Size = New, 0
		case lower == nil:
			c.Kind = New
		default:
			c.Kind = Changed
			c.Diff, c.Note = textDiff(lower, lowerInfo, p, rel, &st)
		}
		changes = append(changes, c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("diff %s: %w", name, err)
	}
	return changes, nil
}

// unixMode is fi's type as a unix mode's type bits.
func unixMode(fi os.FileInfo) uint32 {
	switch {
	case fi.IsDir():
		return unix.S_IFDIR
	case fi.Mode()&os.ModeSymlink != 0:
		return unix.S_IFLNK
	case fi.Mode().IsRegular():
		return unix.S_IFREG
	}
	return 0
}

func fileType(mode uint32) string {
	switch mode & unix.S_IFMT {
	case unix.S_IFDIR:
		return "directory"
	case unix.S_IFLNK:
		return "symlink"
	case unix.S_IFREG:
		return "file"
	}
	return "other"
}

// isOpaque reports whether the upper's directory p is marked opaque. An
// unprivileged caller cannot read the trusted.* mark of a root-mounted
// upper (docs/operations.md, "Clone and templates").
func isOpaque(p string) bool {
	buf := make([]byte, 8)
	for _, x := range opaqueXattrs {
		if n, err := unix.Lgetxattr(p, x, buf); err == nil && n > 0 && buf[0] == 'y' {
			return true
		}
	}
	return false
}

// textDiff is the unified diff from the layer's file (rel in lower, whose
// Lstat is li) to the upper's (p), or a note why there is none.
func textDiff(lower *os.Root, li os.FileInfo, p, rel string, st *unix.Stat_t) (diff, note string) {
	if !li.Mode().IsRegular() || st.Mode&unix.S_IFMT != unix.S_IFREG {
		return "", "not a regular file on both sides"
	}
	if li.Size() > MaxTextDiff || st.Size > MaxTextDiff {
		return "", "larger than 1 MiB: no text diff"
	}
	a, err := lower.ReadFile(filepath.FromSlash(rel))
	if err != nil {
		return "", "unreadable: " + err.Error()
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return "", "unreadable: " + err.Error()
	}
	if !isText(a) || !isText(b) {
		return "", "binary file"
	}
	if bytes.Equal(a, b) {
		return "", "same content (its mode, owner or times changed)"
	}
	return textdiff.Unified("lower/"+rel, "upper/"+rel, string(a), string(b)), ""
}

// isText: valid UTF-8 without NUL bytes.
func isText(b []byte) bool {
	return utf8.Valid(b) && bytes.IndexByte(b, 0) < 0
}

// layerLabel names the layer at dir for people.
func (s *Service) layerLabel(dir string) string {
	rel, err := filepath.Rel(s.root.String(), dir)
	if err != nil {
		return dir
	}
	parts := strings.Split(filepath.ToSlash(rel), "/")
	switch {
	case len(parts) == 2 && parts[0] == "installations":
		return "installation " + parts[1]
	case len(parts) == 3 && parts[0] == "overlays":
		return "layer " + parts[1] + " (" + parts[2] + ")"
	case len(parts) == 3 && parts[0] == "workshop":
		return "workshop item " + parts[1] + " (" + parts[2] + ")"
	}
	return rel
}

// Revert removes one path (and, a directory, everything below it) from an
// instance's upper, so the lower layers show through again: a changed file
// is the layer's again, a deleted one comes back. Only while the instance is
// stopped: its upper must not change under a mounted overlay.
func (s *Service) Revert(ctx context.Context, name, rel string) error {
	clean, err := upperPath(rel)
	if err != nil {
		return err
	}
	unlock, err := s.lockExisting(ctx, name)
	if err != nil {
		return err
	}
	defer unlock()
	st, err := s.sup.Status(ctx, name)
	if err != nil {
		return fmt.Errorf("revert in %s: %w", name, err)
	}
	if st.State != Stopped && st.State != Failed {
		return fieldKind(FieldPath, ErrBusy, "%s is %s: a file can be reverted only while the instance is stopped (its overlay is mounted on the upper); stop it first", name, st.State)
	}
	if err := s.checkUnmounted(name); err != nil {
		return fmt.Errorf("revert in %s: %w", name, err)
	}
	upper := s.root.Upper(name)
	// Every directory on the way must be a real one: a symlink in the
	// upper must not lead the remove outside it.
	dir := upper
	parts := strings.Split(clean, "/")
	for _, part := range parts[:len(parts)-1] {
		dir = filepath.Join(dir, part)
		fi, err := os.Lstat(dir)
		if err != nil || !fi.IsDir() {
			return fieldErr(FieldPath, "%q is not in the upper of %s (nothing to revert; left4me instance diff %s lists what is)", clean, name, name)
		}
	}
	target := filepath.Join(upper, filepath.FromSlash(clean))
	if _, err := os.Lstat(target); err != nil {
		return fieldErr(FieldPath, "%q is not in the upper of %s (nothing to revert; left4me instance diff %s lists what is)", clean, name, name)
	}
	if err := os.RemoveAll(target); err != nil {
		return fmt.Errorf("revert %s in %s: %w", clean, name, err)
	}
	s.log.Info("path reverted", "instance", name, "path", clean)
	return nil
}

// upperPath checks a path inside an upper as a caller gives it: relative,
// without "..", cleaned.
func upperPath(rel string) (string, error) {
	r := strings.TrimPrefix(strings.TrimSpace(rel), "./")
	switch {
	case r == "":
		return "", fieldErr(FieldPath, "no path given: name a path of the upper, as instance diff lists it")
	case strings.HasPrefix(r, "/"):
		return "", fieldErr(FieldPath, "%q is absolute: give it relative to the upper (left4dead2/...)", rel)
	case strings.ContainsRune(r, 0):
		return "", fieldErr(FieldPath, "%q contains a NUL byte", rel)
	}
	for _, part := range strings.Split(r, "/") {
		if part == ".." {
			return "", fieldErr(FieldPath, "%q leads outside the upper", rel)
		}
	}
	clean := path.Clean(r)
	if clean == "." {
		return "", fieldErr(FieldPath, "%q is the upper itself: reset the instance to discard all of it", rel)
	}
	return clean, nil
}

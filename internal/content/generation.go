// Package content builds and publishes what instances stack: installation
// generations of the game (steamcmd), script-built layers (a bash script run
// in the build sandbox) and uploaded layers (archives or single files), and
// lets the panel browse them.
//
// Everything here follows docs/lifecycle.md rule 12: a published generation is
// never modified. A build writes into builds/<build-id>/output, and
// publishing renames that directory into installations/<gen> or
// overlays/<id>/<gen> in one step (same file system), after making the tree
// read-only (directories 0555, files 0444 or 0555). Generation names sort
// lexically in creation order ("000042-20261129T234500Z[-suffix]"); the
// instance service picks the lexically greatest name when an instance
// starts, so instances move to a new generation only when they (re)start.
// GC removes a generation only when it is not the newest, is not named in
// any instance's instance.env, and was superseded longer ago than a grace
// period.
package content

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/left4me/left4me/internal/archive"
	"github.com/left4me/left4me/internal/layout"
)

// Progress receives what a long operation is doing: Progress with a fraction
// in [0, 1] and a short status, Logf for log lines. The job runner
// implements it; tests and the CLI use their own.
type Progress interface {
	Progress(fraction float64, msg string)
	Logf(format string, args ...any)
}

// NopProgress discards everything.
type NopProgress struct{}

// Progress implements Progress.
func (NopProgress) Progress(float64, string) {}

// Logf implements Progress.
func (NopProgress) Logf(string, ...any) {}

// genTimeFormat is the timestamp part of a generation name.
const genTimeFormat = "20060102T150405Z"

// genCounter returns the counter of a generation name, or -1.
func genCounter(name string) int {
	head, _, _ := strings.Cut(name, "-")
	n, err := strconv.Atoi(head)
	if err != nil || len(head) != 6 {
		return -1
	}
	return n
}

// Publish makes the tree src read-only and renames it into parent as a new
// generation named "<counter>-<UTC time>[-suffix]", greater than every
// existing name. src must be on the same file system as parent. It returns
// the generation name. On error src is left where it was.
func Publish(parent, src, suffix string, now time.Time) (string, error) {
	return publish(parent, src, suffix, now, false)
}

// publish is Publish; checkTree refuses a tree CheckLayerTree refuses,
// checked once the tree is readable throughout (makeReadOnly gives every
// directory r-x, so a script's mode-000 directory is checked too).
func publish(parent, src, suffix string, now time.Time, checkTree bool) (string, error) {
	if suffix != "" && (strings.ContainsAny(suffix, "/:,. \t\n") || len(suffix) > 64) {
		return "", fmt.Errorf("publish %s: bad generation suffix %q", src, suffix)
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", fmt.Errorf("publish %s: %w", src, err)
	}
	if !sameDevice(src, parent) {
		// parent is another file system (a bind-mounted disk): copy into a
		// work-in-progress sibling first, so the final step is a rename.
		tmp := filepath.Join(parent, ".tmp-"+filepath.Base(filepath.Dir(src))+"-"+strconv.FormatInt(now.UnixNano(), 36))
		if _, err := CopyTree(context.Background(), src, tmp); err != nil {
			RemoveTree(tmp)
			return "", fmt.Errorf("publish %s: %w", src, err)
		}
		name, err := publish(parent, tmp, suffix, now, checkTree)
		if err != nil {
			RemoveTree(tmp)
			return "", err
		}
		if err := RemoveTree(src); err != nil {
			return name, err
		}
		return name, nil
	}
	if err := makeReadOnly(src, false); err != nil {
		return "", fmt.Errorf("publish %s: %w", src, err)
	}
	if checkTree {
		if err := CheckLayerTree(src); err != nil {
			return "", fmt.Errorf("publish %s: %w", filepath.Base(parent), err)
		}
	}
	// The directory's mtime records when it was published: GC measures a
	// superseded generation's grace period from its successor's.
	if err := os.Chtimes(src, now, now); err != nil {
		return "", fmt.Errorf("publish %s: %w", src, err)
	}
	for range 100 {
		gens, err := layout.Generations(parent)
		if err != nil {
			return "", err
		}
		next := 1
		newest := ""
		for _, g := range gens {
			next = max(next, genCounter(g)+1)
			newest = g
		}
		name := fmt.Sprintf("%06d-%s", next, now.UTC().Format(genTimeFormat))
		if suffix != "" {
			name += "-" + suffix
		}
		if name <= newest {
			return "", fmt.Errorf("publish into %s: existing generation %q sorts after the new name %q; rename or remove it", parent, newest, name)
		}
		err = os.Rename(src, filepath.Join(parent, name))
		if errors.Is(err, fs.ErrExist) || errors.Is(err, syscall.ENOTEMPTY) {
			continue // another publisher took the name: count again
		}
		if err != nil {
			return "", fmt.Errorf("publish %s as %s: %w", src, name, err)
		}
		// Moving a directory to another parent needs write permission on
		// it (its ".." entry changes), so the top is made read-only last.
		if err := os.Chmod(filepath.Join(parent, name), 0o555); err != nil {
			return "", fmt.Errorf("publish %s: %w", name, err)
		}
		return name, nil
	}
	return "", fmt.Errorf("publish into %s: too many concurrent publishers", parent)
}

// TreeError refuses a tree offered as a content layer: one entry that is
// not a regular file or a directory. It is ErrInvalid and wraps
// archive.ErrLink (a symbolic link) or archive.ErrSpecialFile (a FIFO, a
// socket or a device), the errors uploads are refused with.
type TreeError struct {
	// Path is the entry, relative to the tree's top.
	Path string
	// Target is a link's target as stored ("" for other entries).
	Target string
	Err    error
}

func (e *TreeError) Error() string {
	if e.Target != "" {
		return fmt.Sprintf("%s: %v (a symbolic link to %q); published layers hold only regular files and directories", e.Path, e.Err, e.Target)
	}
	return fmt.Sprintf("%s: %v", e.Path, e.Err)
}

// Unwrap makes errors.Is see ErrInvalid and Err.
func (e *TreeError) Unwrap() []error { return []error{ErrInvalid, e.Err} }

// CheckLayerTree refuses a tree that holds anything but regular files and
// directories: every symbolic link, whatever its target, and FIFOs,
// sockets and devices. It is the one rule of every published layer
// (script, upload and Workshop), checked when the layer is published
// (docs/operations.md §5): a link's target is resolved in the mount
// namespace of whoever reads the merged view, and a relative link that
// stays inside the layer on paper can still climb out of it through a link
// to a directory, so no link is kept. Hard links are regular files.
func CheckLayerTree(dir string) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("check %s: %w", dir, err)
		}
		t := d.Type()
		if t.IsDir() || t.IsRegular() {
			return nil
		}
		rel, rerr := filepath.Rel(dir, path)
		if rerr != nil {
			rel = path
		}
		if t&fs.ModeSymlink != 0 {
			target, _ := os.Readlink(path)
			return &TreeError{Path: filepath.ToSlash(rel), Target: target, Err: archive.ErrLink}
		}
		return &TreeError{Path: filepath.ToSlash(rel), Err: fmt.Errorf("%w (%v)", archive.ErrSpecialFile, t)}
	})
}

// PublishLayer is Publish for a content layer (overlays/<id>/): the tree is
// checked with CheckLayerTree first, and refused as a whole, left where it
// was, when it holds a link or a special file. Installation generations
// (steamcmd's tree of the game) use Publish.
func PublishLayer(parent, src string, now time.Time) (string, error) {
	return publish(parent, src, "", now, true)
}

// sameDevice reports whether a and b are on the same file system.
func sameDevice(a, b string) bool {
	var sa, sb syscall.Stat_t
	if syscall.Stat(a, &sa) != nil || syscall.Stat(b, &sb) != nil {
		return true // let the rename report the real error
	}
	return sa.Dev == sb.Dev
}

// makeReadOnly strips write permission from every file and directory under
// dir and makes them world-readable (the game server runs with a private
// umask but must read every layer). The top directory itself is changed
// only when top is set.
func makeReadOnly(dir string, top bool) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type()&fs.ModeSymlink != 0 {
			return nil
		}
		if d.IsDir() {
			if path == dir && !top {
				return nil
			}
			return os.Chmod(path, 0o555)
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		mode := fs.FileMode(0o444)
		if fi.Mode()&0o100 != 0 {
			mode = 0o555
		}
		if fi.Mode().Perm() == mode {
			return nil
		}
		return os.Chmod(path, mode)
	})
}

// RemoveTree removes dir and everything below it, first giving the owner
// write permission on read-only directories of published generations.
func RemoveTree(dir string) error {
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() {
			return os.Chmod(path, 0o700)
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", dir, err)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove %s: %w", dir, err)
	}
	return nil
}

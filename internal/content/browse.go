package content

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// FileInfo is one entry of a layer's tree.
type FileInfo struct {
	// Path is slash-separated and relative to the layer ("left4dead2/cfg/x.cfg").
	Path    string
	Dir     bool
	Size    int64
	Mode    fs.FileMode
	ModTime time.Time
	// Link is the target of a symbolic link.
	Link string
}

// ErrTruncated is returned with the first maxEntries entries when a tree
// has more.
var ErrTruncated = errors.New("tree has more entries than asked for")

// Tree lists the layer directory dir depth-first in lexical order (a
// directory before its contents), at most maxEntries entries (0: no limit).
// Symbolic links are listed, not followed.
func Tree(dir string, maxEntries int) ([]FileInfo, error) {
	var out []FileInfo
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == dir {
			return nil
		}
		if maxEntries > 0 && len(out) >= maxEntries {
			return ErrTruncated
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		e := FileInfo{Path: filepath.ToSlash(rel), Dir: d.IsDir(), Mode: fi.Mode(), ModTime: fi.ModTime()}
		if fi.Mode().IsRegular() {
			e.Size = fi.Size()
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			e.Link, _ = os.Readlink(p)
		}
		out = append(out, e)
		return nil
	})
	if errors.Is(err, ErrTruncated) {
		return out, ErrTruncated
	}
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	return out, nil
}

// cleanRel checks a slash-separated path relative to a layer.
func cleanRel(rel string) (string, error) {
	c := path.Clean(strings.TrimPrefix(rel, "/"))
	if c == "." || c == ".." || strings.HasPrefix(c, "../") || strings.ContainsRune(rel, 0) || strings.Contains(rel, `\`) {
		return "", fmt.Errorf("%w path %q: not a path inside the layer", ErrInvalid, rel)
	}
	return c, nil
}

// OpenFile opens the regular file rel of the layer directory dir for
// reading. The path is confined to the layer by os.OpenRoot: "..", absolute
// paths and symbolic links leading out of it are refused by the kernel-side
// walk, and directories or special files are refused here.
func OpenFile(dir, rel string) (*os.File, fs.FileInfo, error) {
	c, err := cleanRel(rel)
	if err != nil {
		return nil, nil, err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("open layer %s: %w", dir, err)
	}
	defer root.Close()
	// O_NONBLOCK: opening a FIFO a layer holds must not block the caller
	// (a panel request) before the type check below refuses it; it changes
	// nothing for regular files.
	f, err := root.OpenFile(filepath.FromSlash(c), os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("open %s: %w", c, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("open %s: %w", c, err)
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, nil, fmt.Errorf("%w path %q: not a regular file", ErrInvalid, c)
	}
	return f, fi, nil
}

// Conflicts computes, for a stack of layer directories given uppermost
// first (as in L4D2_LOWERDIRS), every path that more than one layer
// provides, mapped to the indexes of the layers that have it, uppermost
// first: the first index wins (is what the server sees). Directories merge
// in overlayfs and are not conflicts; a file or link in an upper layer that
// has the name of a directory in a lower one hides that whole directory,
// reported under the directory's path.
func Conflicts(layers []string) (map[string][]int, error) {
	// kinds[i][path] = true for a directory.
	have := map[string][]int{}
	isDir := make([]map[string]bool, len(layers))
	for i, dir := range layers {
		isDir[i] = map[string]bool{}
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if p == dir {
				return nil
			}
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return err
			}
			rel = filepath.ToSlash(rel)
			isDir[i][rel] = d.IsDir()
			have[rel] = append(have[rel], i)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("conflicts: layer %d (%s): %w", i, dir, err)
		}
	}
	out := map[string][]int{}
	for p, idx := range have {
		if len(idx) < 2 {
			continue
		}
		allDirs := true
		for _, i := range idx {
			if !isDir[i][p] {
				allDirs = false
			}
		}
		if allDirs {
			continue
		}
		out[p] = slices.Clone(idx)
	}
	return out, nil
}

package content

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/overlay"
)

// DefaultGrace is how long a superseded generation is kept at least.
const DefaultGrace = 24 * time.Hour

// DeletedMarker, inside overlays/<id>/, marks a deleted layer: GC no longer
// keeps its newest generation and removes the directory once no instance
// names any of its generations.
const DeletedMarker = ".deleted"

// GCOptions tune GC.
type GCOptions struct {
	// Grace is how long after being superseded (its successor's publication)
	// a generation is kept; zero means DefaultGrace.
	Grace time.Duration
	// Now is the current time; zero means time.Now().
	Now time.Time
}

// Referenced returns the real paths of every layer named in an
// instances/*/instance.env (installation generations included): what the
// instances run on, or will run on at their next start without a restart;
// and of every generation an instance is pinned to (addPinned).
// An instance.env that cannot be read or parsed is an error: GC must not
// guess.
func Referenced(root layout.Root) (map[string]bool, error) {
	refs := map[string]bool{}
	err := eachInstanceEnv(root, func(name string, env overlay.Env) error {
		for _, dir := range env.LowerDirs {
			refs[realPath(dir)] = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := addPinned(root, refs); err != nil {
		return nil, err
	}
	return refs, nil
}

// addPinned adds to refs the real paths of every generation an instance is
// pinned to (instances/*/pins, layout.Pins), started or not: a pin is a
// promise that the next start finds that generation. A pins file that
// cannot be read is an error: GC must not guess.
func addPinned(root layout.Root, refs map[string]bool) error {
	entries, err := os.ReadDir(root.Instances())
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("list instances: %w", err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		pins, err := layout.ReadPins(root.Pins(e.Name()))
		if err != nil {
			return fmt.Errorf("instance %s: %w", e.Name(), err)
		}
		for k, gen := range pins {
			dir := root.Overlay(k, gen)
			if k == layout.PinInstallation {
				dir = root.Installation(gen)
			}
			refs[realPath(dir)] = true
		}
	}
	return nil
}

// eachInstanceEnv calls fn with every instances/*/instance.env, in name
// order; instances without one (never started) are skipped. One that
// cannot be read or parsed is an error, and so is fn's.
func eachInstanceEnv(root layout.Root, fn func(name string, env overlay.Env) error) error {
	entries, err := os.ReadDir(root.Instances())
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("list instances: %w", err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		env, err := overlay.ReadEnvFile(root.InstanceEnv(e.Name()))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("instance %s: %w", e.Name(), err)
		}
		if err := fn(e.Name(), env); err != nil {
			return err
		}
	}
	return nil
}

// realPath resolves symlinks where possible, else cleans.
func realPath(p string) string {
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	return filepath.Clean(p)
}

// GC removes generations of the installation and of every content layer
// that are (1) neither the newest nor the default (unless the layer was
// deleted), (2) not named in any instance.env nor pinned by any instance,
// and (3) superseded longer ago than the grace period.
// It also removes what killed uploads left (SweepUploads) and build
// directories older than the grace period (and than a day, as builds may
// be running there; never a live upload's). It returns the paths removed.
//
// NOTE: docs/lifecycle.md rule 12 — a generation an instance has mounted is
// named in its instance.env (the unit mounts exactly what that file says),
// so never removing a named generation never pulls a lower layer from
// under a running server.
func GC(ctx context.Context, root layout.Root, opts GCOptions) ([]string, error) {
	if opts.Grace == 0 {
		opts.Grace = DefaultGrace
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	refs, err := Referenced(root)
	if err != nil {
		return nil, fmt.Errorf("garbage collection: %w", err)
	}
	var removed []string
	parents := []string{root.Installations()}
	ids, err := os.ReadDir(root.Overlays())
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("garbage collection: %w", err)
	}
	for _, e := range ids {
		if e.IsDir() {
			parents = append(parents, filepath.Join(root.Overlays(), e.Name()))
		}
	}
	var errs []error
	for _, parent := range parents {
		if err := ctx.Err(); err != nil {
			return removed, err
		}
		r, err := gcParent(parent, refs, opts)
		removed = append(removed, r...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	r, err := SweepUploads(root)
	removed = append(removed, r...)
	if err != nil {
		errs = append(errs, err)
	}
	r, err = gcBuilds(root, opts)
	removed = append(removed, r...)
	if err != nil {
		errs = append(errs, err)
	}
	return removed, errors.Join(errs...)
}

// tempsAge is the least age of an unfinished generation (".tmp-*", left
// by a publisher killed while copying) before GC removes it: far longer
// than any copy takes, whatever the configured grace.
const tempsAge = DefaultGrace

// gcTemps removes the unfinished generations in parent that nothing has
// touched (changed status, ctime) for tempsAge.
func gcTemps(parent string, now time.Time) ([]string, error) {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return nil, nil // Generations reports it
	}
	var removed []string
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".tmp-") {
			continue
		}
		dir := filepath.Join(parent, e.Name())
		var st syscall.Stat_t
		if err := syscall.Lstat(dir, &st); err != nil {
			continue
		}
		if now.Sub(time.Unix(st.Ctim.Unix())) < tempsAge {
			continue
		}
		if err := RemoveTree(dir); err != nil {
			return removed, err
		}
		removed = append(removed, dir)
	}
	return removed, nil
}

func gcParent(parent string, refs map[string]bool, opts GCOptions) ([]string, error) {
	gens, err := layout.Generations(parent)
	if err != nil {
		return nil, err
	}
	removed, err := gcTemps(parent, opts.Now)
	if err != nil {
		return removed, err
	}
	_, err = os.Lstat(filepath.Join(parent, DeletedMarker))
	deleted := err == nil
	// The default generation (a rollback's or a canary's held one,
	// layout.Default) is what new starts pick: kept like the newest.
	held := layout.HeldDefault(parent)
	kept := 0
	for i, g := range gens {
		dir := filepath.Join(parent, g)
		keep := refs[realPath(dir)]
		if (i == len(gens)-1 || g == held) && !deleted {
			keep = true
		}
		if !keep && i+1 < len(gens) {
			// Superseded when its successor was published.
			if fi, err := os.Stat(filepath.Join(parent, gens[i+1])); err != nil || opts.Now.Sub(fi.ModTime()) < opts.Grace {
				keep = true
			}
		}
		if !keep && i+1 == len(gens) {
			// The newest generation of a deleted layer: its grace runs from
			// the deletion (the marker's time).
			if fi, err := os.Lstat(filepath.Join(parent, DeletedMarker)); err != nil || opts.Now.Sub(fi.ModTime()) < opts.Grace {
				keep = true
			}
		}
		if keep {
			kept++
			continue
		}
		if err := RemoveTree(dir); err != nil {
			return removed, err
		}
		removed = append(removed, dir)
	}
	if deleted && kept == 0 {
		if err := RemoveTree(parent); err != nil {
			return removed, err
		}
		removed = append(removed, parent)
	}
	return removed, nil
}

func gcBuilds(root layout.Root, opts GCOptions) ([]string, error) {
	entries, err := os.ReadDir(root.Builds())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue // .install.lock and the like
		}
		fi, err := e.Info()
		// A build (or install) may still be writing here: a short grace
		// must not pull its working tree away, so at least tempsAge.
		if err != nil || opts.Now.Sub(fi.ModTime()) < max(opts.Grace, tempsAge) {
			continue
		}
		dir := filepath.Join(root.Builds(), e.Name())
		if strings.HasPrefix(e.Name(), uploadPrefix) {
			// A live upload (however long it has run) keeps its tree.
			unlock, held, err := tryLockBuildDir(dir)
			if held || err != nil {
				continue
			}
			unlock()
		}
		if err := RemoveTree(dir); err != nil {
			return removed, err
		}
		removed = append(removed, dir)
	}
	return removed, nil
}

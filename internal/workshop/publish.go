package workshop

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/left4me/left4me/internal/store"
)

// generationWidth is the zero-padded width of generation names, so that the
// lexically greatest name (what the instance service starts) is also the
// numerically greatest.
const generationWidth = 6

// Publish writes a new generation of a workshop layer when its content (the
// downloaded revision of each of its items) differs from the newest
// published generation, and returns the newest generation and whether it
// was just created.
//
// A generation is overlays/<layer>/<gen>/left4dead2/addons/<id>.vpk, one
// hard link per item to workshop/<id>/<revision>/left4dead2/addons/<id>.vpk
// (a copy when the two are on different filesystems). Hard links cost no
// space and, unlike symbolic links, need nothing outside the layer to be
// visible to the game's sandbox. Generations are named 000001, 000002, …
//
// NOTE: DESIGN.md §1 rule 12 — an existing generation is never modified: a
// change is a new directory, written under a dot-name (ignored by the
// instance service) and renamed into place complete.
func (s *Service) Publish(ctx context.Context, layer string) (gen string, published bool, err error) {
	if err := ValidateLayerID(layer); err != nil {
		return "", false, err
	}
	dir := s.root.Overlay(layer, "")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", false, fmt.Errorf("publish layer %s: %w", layer, err)
	}
	unlock, err := lockDir(ctx, dir)
	if err != nil {
		return "", false, fmt.Errorf("publish layer %s: %w", layer, err)
	}
	defer unlock()

	l, err := s.st.WorkshopLayer(ctx, layer)
	if err != nil {
		return "", false, err
	}
	var content []store.WorkshopLayerEntry
	for _, id := range l.Items {
		it, err := s.st.WorkshopItem(ctx, id)
		if err != nil {
			return "", false, err
		}
		if it.Revision == "" {
			continue
		}
		content = append(content, store.WorkshopLayerEntry{ID: id, Revision: it.Revision})
	}
	newest, err := newestGeneration(dir)
	if err != nil {
		return "", false, fmt.Errorf("publish layer %s: %w", layer, err)
	}
	if l.Generation != "" && l.Generation == newest && slices.Equal(content, l.Content) {
		return newest, false, nil
	}
	cleanTemps(dir)
	gen, err = nextGeneration(newest, l.Generation)
	if err != nil {
		return "", false, fmt.Errorf("publish layer %s: %w", layer, err)
	}
	if err := s.writeGeneration(dir, gen, content); err != nil {
		return "", false, fmt.Errorf("publish layer %s generation %s: %w", layer, gen, err)
	}
	if err := s.st.SetWorkshopLayerPublished(ctx, layer, gen, content); err != nil {
		return gen, true, err
	}
	s.log.Info("published workshop layer", "layer", layer, "generation", gen, "items", len(content))
	return gen, true, nil
}

// newestGeneration returns the lexically greatest directory name in dir not
// starting with '.', the instance service's rule for the newest generation.
func newestGeneration(dir string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	newest := ""
	for _, e := range entries {
		if n := e.Name(); e.IsDir() && !strings.HasPrefix(n, ".") && n > newest {
			newest = n
		}
	}
	return newest, nil
}

// nextGeneration returns the name after the newest on disk and the one
// recorded (they differ only after a crash between rename and record).
func nextGeneration(names ...string) (string, error) {
	var n uint64
	for _, name := range names {
		if name == "" {
			continue
		}
		v, err := strconv.ParseUint(name, 10, 64)
		if err != nil || len(name) != generationWidth {
			return "", fmt.Errorf("generation %q is not a workshop generation name", name)
		}
		n = max(n, v)
	}
	next := fmt.Sprintf("%0*d", generationWidth, n+1)
	if len(next) != generationWidth {
		return "", fmt.Errorf("generation numbers exhausted after %d", n)
	}
	return next, nil
}

// cleanTemps removes unfinished generations left by a crash. The caller
// holds the layer's lock.
func cleanTemps(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".tmp-") {
			os.RemoveAll(filepath.Join(dir, e.Name()))
		}
	}
}

func (s *Service) writeGeneration(dir, gen string, content []store.WorkshopLayerEntry) (err error) {
	tmp, err := os.MkdirTemp(dir, ".tmp-"+gen+"-")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	game := filepath.Join(tmp, "left4dead2")
	addons := filepath.Join(game, "addons")
	if err := os.MkdirAll(addons, 0o755); err != nil {
		return err
	}
	for _, d := range []string{tmp, game, addons} {
		if err := os.Chmod(d, 0o755); err != nil {
			return err
		}
	}
	for _, e := range content {
		src := ItemVPK(s.root, e.ID, e.Revision)
		if err := linkOrCopy(src, filepath.Join(addons, VPKName(e.ID))); err != nil {
			return fmt.Errorf("item %d revision %s: %w", e.ID, e.Revision, err)
		}
	}
	for _, d := range []string{addons, game, tmp} {
		if err := syncDir(d); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, filepath.Join(dir, gen)); err != nil {
		return err
	}
	return syncDir(dir)
}

// linkOrCopy hard-links src to dst, copying when they are on different
// filesystems or the link is refused (fs.protected_hardlinks).
func linkOrCopy(src, dst string) error {
	err := os.Link(src, dst)
	if err == nil {
		return nil
	}
	if !errors.Is(err, syscall.EXDEV) && !errors.Is(err, syscall.EPERM) && !errors.Is(err, syscall.EMLINK) {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Chmod(dst, 0o644)
}

package workshop

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/left4me/left4me/internal/content"
	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/store"
)

// Publish writes a new generation of a workshop layer when its content (the
// downloaded revision of each of its items) differs from the newest
// published generation, and returns the newest generation and whether it
// was just created.
//
// A generation is overlays/<layer>/<gen>/left4dead2/addons/<id>.vpk, one
// hard link per item to workshop/<id>/<revision>/left4dead2/addons/<id>.vpk
// (a copy when the two are on different filesystems). Hard links cost no
// space and, unlike symbolic links, need nothing outside the layer to be
// visible to the game's sandbox. The generation is named and made
// read-only by content.PublishLayer, like every other content layer, so the
// instance service's newest-generation rule, the rule against links
// (docs/operations.md §5) and content.GC apply to it.
//
// NOTE: docs/lifecycle.md rule 12 — an existing generation is never modified: a
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
	var entries []store.WorkshopLayerEntry
	for _, id := range l.Items {
		it, err := s.st.WorkshopItem(ctx, id)
		if err != nil {
			return "", false, err
		}
		if it.Revision == "" {
			// Never downloaded: the item carries the reason (steampipe.go),
			// which the panel, the API and the CLI show.
			s.log.Warn("workshop item not in the layer: nothing downloaded", "layer", layer, "item", id, "reason", it.Error)
			continue
		}
		entries = append(entries, store.WorkshopLayerEntry{ID: id, Revision: it.Revision})
	}
	newest, err := layout.Newest(dir)
	if err != nil {
		return "", false, fmt.Errorf("publish layer %s: %w", layer, err)
	}
	if l.Generation != "" && l.Generation == newest && slices.Equal(entries, l.Content) {
		return newest, false, nil
	}
	cleanTemps(dir, s.log)
	tmp, err := s.writeGeneration(dir, entries)
	if err != nil {
		return "", false, fmt.Errorf("publish layer %s: %w", layer, err)
	}
	gen, err = content.PublishLayer(dir, tmp, time.Now())
	if err != nil {
		content.RemoveTree(tmp)
		return "", false, fmt.Errorf("publish layer %s: %w", layer, err)
	}
	if err := syncDir(dir); err != nil {
		return gen, true, fmt.Errorf("publish layer %s: %w", layer, err)
	}
	if err := s.st.SetWorkshopLayerPublished(ctx, layer, gen, entries); err != nil {
		return gen, true, err
	}
	s.log.Info("published workshop layer", "layer", layer, "generation", gen, "items", len(entries))
	return gen, true, nil
}

// cleanTemps removes unfinished generations left by a crash. The caller
// holds the layer's lock.
func cleanTemps(dir string, log *slog.Logger) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".tmp-") {
			if err := content.RemoveTree(filepath.Join(dir, e.Name())); err != nil {
				log.Warn("remove unfinished workshop generation", "path", filepath.Join(dir, e.Name()), "err", err)
			}
		}
	}
}

// writeGeneration builds the generation's tree in a dot-named directory in
// dir and returns it.
func (s *Service) writeGeneration(dir string, entries []store.WorkshopLayerEntry) (tmp string, err error) {
	tmp, err = os.MkdirTemp(dir, ".tmp-")
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			content.RemoveTree(tmp)
		}
	}()
	game := filepath.Join(tmp, "left4dead2")
	addons := filepath.Join(game, "addons")
	if err := os.MkdirAll(addons, 0o755); err != nil {
		return "", err
	}
	for _, e := range entries {
		src := ItemVPK(s.root, e.ID, e.Revision)
		if err := linkOrCopy(src, filepath.Join(addons, VPKName(e.ID))); err != nil {
			return "", fmt.Errorf("item %d revision %s: %w", e.ID, e.Revision, err)
		}
	}
	for _, d := range []string{addons, game, tmp} {
		if err := syncDir(d); err != nil {
			return "", err
		}
	}
	return tmp, nil
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
	return out.Close()
}

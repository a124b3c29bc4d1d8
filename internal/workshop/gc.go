package workshop

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/left4me/left4me/internal/content"
	"github.com/left4me/left4me/internal/store"
)

// GC removes downloaded revisions under workshop/ that are no longer the
// current revision of their item, are not named in any instance.env, and
// were superseded (the current revision published) longer than grace ago (0
// means content.DefaultGrace). It returns the directories removed.
//
// Layer generations hold hard links, not references, so removing an old
// revision never changes a generation. The current revision of every item
// stays, whether or not a layer still lists the item.
//
// NOTE: docs/lifecycle.md rule 12 — a revision named in an instance.env may be
// mounted; it is kept.
func (s *Service) GC(ctx context.Context, grace time.Duration) ([]string, error) {
	if grace == 0 {
		grace = content.DefaultGrace
	}
	refs, err := content.Referenced(s.root)
	if err != nil {
		return nil, fmt.Errorf("workshop garbage collection: %w", err)
	}
	entries, err := os.ReadDir(s.root.Workshop())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("workshop garbage collection: %w", err)
	}
	var removed []string
	var errs []error
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return removed, err
		}
		id, err := parseDecimalID(e.Name())
		if err != nil || !e.IsDir() || e.Name() != strconv.FormatUint(id, 10) {
			continue
		}
		r, err := s.gcItem(ctx, id, refs, grace)
		removed = append(removed, r...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return removed, errors.Join(errs...)
}

func (s *Service) gcItem(ctx context.Context, id uint64, refs map[string]bool, grace time.Duration) ([]string, error) {
	itemDir := filepath.Join(s.root.Workshop(), strconv.FormatUint(id, 10))
	unlock, err := lockDir(ctx, itemDir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	current := ""
	it, err := s.st.WorkshopItem(ctx, id)
	switch {
	case err == nil:
		current = it.Revision
	case !errors.Is(err, store.ErrNotFound):
		return nil, err
	}
	revs, err := os.ReadDir(itemDir)
	if err != nil {
		return nil, err
	}
	// An old revision was superseded when the current one was published.
	var supersededAt time.Time
	if current != "" {
		if fi, err := os.Stat(filepath.Join(itemDir, current)); err == nil {
			supersededAt = fi.ModTime()
		}
	}
	var removed []string
	for _, r := range revs {
		name := r.Name()
		if strings.HasPrefix(name, ".") || !r.IsDir() || name == current {
			continue
		}
		dir := filepath.Join(itemDir, name)
		if refs[realPath(dir)] {
			continue
		}
		since := supersededAt
		if since.IsZero() {
			fi, err := os.Stat(dir)
			if err != nil {
				continue
			}
			since = fi.ModTime()
		}
		if time.Since(since) < grace {
			continue
		}
		if err := content.RemoveTree(dir); err != nil {
			return removed, err
		}
		removed = append(removed, dir)
	}
	return removed, nil
}

func realPath(p string) string {
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	return filepath.Clean(p)
}

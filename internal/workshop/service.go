package workshop

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/left4me/left4me/internal/content"
	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/store"
	"github.com/left4me/left4me/internal/vpk"
)

// Store is what the service needs from the database; *store.Store has it.
type Store interface {
	AddWorkshopItems(ctx context.Context, layer string, metas []store.WorkshopMeta) ([]uint64, bool, error)
	SaveWorkshopMeta(ctx context.Context, metas []store.WorkshopMeta) error
	SetWorkshopDownload(ctx context.Context, id uint64, revision string, size int64, addon store.WorkshopAddon) error
	SetWorkshopError(ctx context.Context, id uint64, msg string) error
	WorkshopItem(ctx context.Context, id uint64) (store.WorkshopItem, error)
	WorkshopItems(ctx context.Context) ([]store.WorkshopItem, error)
	WorkshopLayer(ctx context.Context, id string) (store.WorkshopLayer, error)
	WorkshopLayers(ctx context.Context) ([]store.WorkshopLayer, error)
	SetWorkshopLayerPublished(ctx context.Context, id, generation string, content []store.WorkshopLayerEntry) error
	RemoveWorkshopItems(ctx context.Context, layer string, ids []uint64) (int, error)
	LayerByID(ctx context.Context, id string) (store.Layer, error)
}

// Config configures a Service.
type Config struct {
	Root layout.Root
	// API is the Web API client; nil means NewClient("", nil).
	API *Client
	// Downloader fetches item files; nil means one with default settings
	// for Root.
	Downloader *Downloader
	// Retry governs retries of Web API calls; zero means the default.
	Retry Retry
	// SteamCmd gives the steamcmd runner for items without a usable
	// file_url, when Downloader is nil (steampipe.go); nil means such items
	// are flagged with ErrNeedsSteamCmd instead.
	SteamCmd SteamCmdFunc
	Logger   *slog.Logger
}

// Service adds Workshop items to layers, downloads them and publishes the
// layers' generations.
type Service struct {
	root  layout.Root
	st    Store
	api   *Client
	dl    *Downloader
	retry Retry
	log   *slog.Logger
}

// NewService returns a Service over st.
func NewService(cfg Config, st Store) *Service {
	s := &Service{root: cfg.Root, st: st, api: cfg.API, dl: cfg.Downloader, retry: cfg.Retry, log: cfg.Logger}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.api == nil {
		s.api = NewClient("", nil)
	}
	if s.dl == nil {
		s.dl = NewDownloader(DownloaderConfig{Root: cfg.Root, Logger: s.log, TrustedURL: s.api.base, SteamCmd: cfg.SteamCmd})
	}
	if s.retry.Attempts == 0 {
		s.retry = defaultRetry()
	}
	return s
}

var layerIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// ErrBadLayerID is returned (wrapped) for a layer id that cannot name a
// directory under overlays/.
var ErrBadLayerID = errors.New("invalid layer id")

// ValidateLayerID checks a layer id against ^[a-z0-9][a-z0-9_-]{0,63}$.
func ValidateLayerID(id string) error {
	if !layerIDPattern.MatchString(id) {
		return fmt.Errorf("%w %q: use 1-64 characters a-z, 0-9, '_' or '-', starting with a letter or digit", ErrBadLayerID, id)
	}
	return nil
}

// ErrLayerTaken is returned (wrapped) when a layer id is already used by a
// content layer that is not a workshop layer.
var ErrLayerTaken = errors.New("layer id used by another content layer")

// Resolved is what a list of ids and URLs stands for.
type Resolved struct {
	// Items are the items to add, collections expanded, in order, without
	// duplicates; unavailable collection members are left out. Items whose
	// details Steam sent unusable (Refused set) are among them: they are
	// recorded in the layer flagged with the reason and not downloaded. A
	// refused collection's entry is ignored (its members are checked one
	// by one).
	Items []Details
	// Collections are the collections that were expanded.
	Collections []uint64
	// Skipped are collection members Steam does not serve (or that have no
	// file at all: no file_url, filename or file_size). Members with a file
	// but no usable file_url are items (steampipe.go).
	Skipped []uint64
}

// maxCollectionDepth bounds nested collections.
const maxCollectionDepth = 3

// Resolve parses refs (ids or URLs), expands collections into their
// children and fetches every item's details. It refuses, naming the item,
// anything that is not a Left 4 Dead 2 item and any explicitly named item
// that Steam does not serve.
func (s *Service) Resolve(ctx context.Context, refs []string) (Resolved, error) {
	ids, err := ParseIDs(refs)
	if err != nil {
		return Resolved{}, err
	}
	if len(ids) == 0 {
		return Resolved{}, errors.New("no Workshop item given")
	}
	var res Resolved
	explicit := map[uint64]bool{}
	for _, id := range ids {
		explicit[id] = true
	}
	// Expand collections level by level; anything without children is an item.
	var itemIDs []uint64
	seen := map[uint64]bool{}
	level := ids
	for depth := 0; len(level) > 0; depth++ {
		var cols []Collection
		err := s.retry.do(ctx, func(int) error {
			var err error
			cols, err = s.api.Collections(ctx, level)
			return err
		})
		if err != nil {
			return Resolved{}, err
		}
		var next []uint64
		for _, c := range cols {
			if seen[c.ID] {
				continue
			}
			seen[c.ID] = true
			if c.Result != ResultOK || len(c.Children) == 0 {
				itemIDs = append(itemIDs, c.ID)
				continue
			}
			if depth >= maxCollectionDepth {
				return Resolved{}, fmt.Errorf("collection %d: nested deeper than %d levels", c.ID, maxCollectionDepth)
			}
			res.Collections = append(res.Collections, c.ID)
			for _, ch := range c.Children {
				if !seen[ch.ID] {
					next = append(next, ch.ID)
				}
			}
		}
		level = next
	}
	// One details call for the collections (to check their app) and items.
	all := append(slices.Clone(res.Collections), itemIDs...)
	var details []Details
	err = s.retry.do(ctx, func(int) error {
		var err error
		details, err = s.api.Details(ctx, all)
		return err
	})
	if err != nil {
		return Resolved{}, err
	}
	isCollection := map[uint64]bool{}
	for _, c := range res.Collections {
		isCollection[c] = true
	}
	for _, d := range details {
		switch {
		case d.Refused != "" && d.ConsumerAppID != 0 && d.ConsumerAppID != AppID:
			return Resolved{}, fmt.Errorf("%w: item %d %q is for app %d, not %d", ErrWrongApp, d.ID, d.Title, d.ConsumerAppID, AppID)
		case d.Refused != "" && isCollection[d.ID]:
		case d.Refused != "":
			res.Items = append(res.Items, d)
		case !d.Available() && (explicit[d.ID] || isCollection[d.ID]):
			return Resolved{}, fmt.Errorf("%w: item %d (Steam result %d: removed, hidden or never existed)", ErrUnavailable, d.ID, d.Result)
		case !d.Available():
			res.Skipped = append(res.Skipped, d.ID)
		case d.ConsumerAppID != AppID:
			return Resolved{}, fmt.Errorf("%w: item %d %q is for app %d, not %d", ErrWrongApp, d.ID, d.Title, d.ConsumerAppID, AppID)
		case isCollection[d.ID]:
		case !hasContent(d.FileURL, d.Filename, d.FileSize) && explicit[d.ID]:
			return Resolved{}, fmt.Errorf("%w: item %d %q has no file to download (an empty collection?)", ErrUnavailable, d.ID, d.Title)
		case !hasContent(d.FileURL, d.Filename, d.FileSize):
			res.Skipped = append(res.Skipped, d.ID)
		default:
			res.Items = append(res.Items, d)
		}
	}
	return res, nil
}

// AddResult is what Add did.
type AddResult struct {
	Layer        string
	LayerCreated bool
	Resolved     Resolved
	// Added are the items that were not in the layer before.
	Added []uint64
	// Downloads has one entry per item that had to be downloaded, and one
	// per item whose details Steam sent unusable (its Err wraps
	// ErrRefusedItem: the reason recorded on the item).
	Downloads []Result
	// Generation is the layer's newest generation; Published says whether
	// Add created it.
	Generation string
	Published  bool
}

// Add resolves refs, records the items and appends them to layer (created
// when missing), downloads what is not on disk yet and publishes a new
// generation of the layer when its content changed. Nothing is recorded
// when resolving fails. Download failures are recorded on the items (and
// returned in Downloads) without failing Add; the layer is published with
// the items that are on disk.
func (s *Service) Add(ctx context.Context, layer string, refs []string, p Progress) (AddResult, error) {
	if p == nil {
		p = NopProgress{}
	}
	res := AddResult{Layer: layer}
	if err := ValidateLayerID(layer); err != nil {
		return res, err
	}
	if err := s.checkLayerFree(ctx, layer); err != nil {
		return res, err
	}
	p.Progress(0, "asking Steam about the items")
	var err error
	if res.Resolved, err = s.Resolve(ctx, refs); err != nil {
		return res, err
	}
	for _, id := range res.Resolved.Skipped {
		p.Logf("item %d of a collection is not available on the Workshop; skipped", id)
	}
	metas := make([]store.WorkshopMeta, len(res.Resolved.Items))
	var refused []Result
	for i, d := range res.Resolved.Items {
		rerr := d.RefusedErr()
		if rerr == nil {
			metas[i] = meta(d)
			continue
		}
		// A known item keeps what Steam said about it last; a new one is
		// recorded with its id (and title) only, so nothing downloads it.
		metas[i] = store.WorkshopMeta{ID: d.ID, Result: ResultOK, Title: d.Title}
		if it, err := s.st.WorkshopItem(ctx, d.ID); err == nil {
			metas[i] = meta(detailsOf(it))
		} else if !errors.Is(err, store.ErrNotFound) {
			return res, err
		}
		refused = append(refused, Result{ID: d.ID, Err: rerr})
	}
	if res.Added, res.LayerCreated, err = s.st.AddWorkshopItems(ctx, layer, metas); err != nil {
		return res, err
	}
	skip := map[uint64]bool{}
	for _, r := range refused {
		p.Logf("item %d refused: %v", r.ID, r.Err)
		if err := s.st.SetWorkshopError(ctx, r.ID, r.Err.Error()); err != nil {
			return res, err
		}
		skip[r.ID] = true
	}
	p.Logf("layer %s: %d item(s) added, %d already there", layer, len(res.Added), len(metas)-len(res.Added))

	l, err := s.st.WorkshopLayer(ctx, layer)
	if err != nil {
		return res, err
	}
	var pending []Details
	for _, id := range l.Items {
		it, err := s.st.WorkshopItem(ctx, id)
		if err != nil {
			return res, err
		}
		if needsDownload(it) && !skip[id] {
			pending = append(pending, detailsOf(it))
		}
	}
	res.Downloads, err = s.download(ctx, pending, p, 0.1, 0.9)
	res.Downloads = append(res.Downloads, refused...)
	if err != nil {
		return res, err
	}
	p.Progress(0.9, "publishing layer "+layer)
	res.Generation, res.Published, err = s.Publish(ctx, layer)
	if err != nil {
		return res, err
	}
	p.Progress(1, "done")
	return res, nil
}

// checkLayerFree refuses a layer id that names a content layer of another
// kind (in the database or only on disk), or a deleted layer whose
// generations are still in use.
func (s *Service) checkLayerFree(ctx context.Context, layer string) error {
	if _, err := s.st.WorkshopLayer(ctx, layer); err == nil {
		return nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if l, err := s.st.LayerByID(ctx, layer); err == nil {
		if l.Kind != store.LayerWorkshop {
			return fmt.Errorf("%w: %s is a %s layer", ErrLayerTaken, layer, l.Kind)
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	dir := s.root.Overlay(layer, "")
	gens, err := layout.Generations(dir)
	if err != nil {
		return err
	}
	if _, err := os.Lstat(filepath.Join(dir, content.DeletedMarker)); err == nil {
		if len(gens) > 0 {
			return fmt.Errorf("%w: a deleted layer named %s still has generations in use; pick another id or wait for garbage collection", ErrLayerTaken, layer)
		}
		return content.RemoveTree(dir)
	}
	if len(gens) > 0 {
		return fmt.Errorf("%w: %s already has generations under %s", ErrLayerTaken, layer, dir)
	}
	return nil
}

// needsDownload reports whether the item's current revision is not on disk
// and Steam serves it (by file_url or, without a usable one, through
// steamcmd).
func needsDownload(it store.WorkshopItem) bool {
	return !it.Removed && hasContent(it.FileURL, it.Filename, it.FileSize) && it.Revision != strconv.FormatInt(it.TimeUpdated, 10)
}

func detailsOf(it store.WorkshopItem) Details {
	return Details{
		ID: it.ID, Result: it.Result, ConsumerAppID: AppID, Title: it.Title, Filename: it.Filename,
		FileSize: it.FileSize, FileURL: it.FileURL, PreviewURL: it.PreviewURL,
		TimeUpdated: it.TimeUpdated, Banned: it.Banned, BanReason: it.BanReason,
	}
}

func meta(d Details) store.WorkshopMeta {
	return store.WorkshopMeta{
		ID: d.ID, Result: d.Result, Title: d.Title, Filename: d.Filename, FileURL: d.FileURL,
		FileSize: d.FileSize, TimeUpdated: d.TimeUpdated, PreviewURL: d.PreviewURL,
		Banned: d.Banned, BanReason: d.BanReason,
	}
}

func addonOf(info vpk.Info) store.WorkshopAddon {
	a := store.WorkshopAddon{Title: info.Title, Version: info.Version, Author: info.Author, Maps: info.Maps, Warnings: info.Warnings}
	for _, c := range info.Campaigns {
		a.Campaigns = append(a.Campaigns, store.WorkshopCampaign{Name: c.Name, Title: c.Title, Modes: c.Modes})
	}
	return a
}

// download fetches items and records each outcome on the item. Only a
// failure to record is returned as an error; a cancelled ctx is returned
// too, so that a cancelled job ends as cancelled.
func (s *Service) download(ctx context.Context, items []Details, p Progress, lo, hi float64) ([]Result, error) {
	if len(items) == 0 {
		return nil, nil
	}
	results := s.dl.DownloadAll(ctx, items, p, lo, hi)
	if err := ctx.Err(); err != nil {
		return results, err
	}
	for _, r := range results {
		var err error
		if r.Err != nil {
			err = s.st.SetWorkshopError(ctx, r.ID, r.Err.Error())
		} else {
			err = s.st.SetWorkshopDownload(ctx, r.ID, r.Revision, r.Size, addonOf(r.Addon))
		}
		if err != nil {
			return results, err
		}
	}
	return results, nil
}

// RefreshResult is what Refresh did.
type RefreshResult struct {
	Checked int
	// Downloads has one entry per item downloaded (or that failed to), and
	// one per item whose details Steam sent unusable (its Err wraps
	// ErrRefusedItem).
	Downloads []Result
	// Banned and Removed are the items Steam now reports as such.
	Banned  []uint64
	Removed []uint64
	// Refused are the items whose details Steam sent unusable: the reason
	// is recorded on each, which keeps its revision and what Steam said
	// about it before.
	Refused []uint64
	// Published maps each layer that got a new generation to it; nil when
	// Refresh failed before publishing.
	Published map[string]string
}

// Refresh asks Steam about every known item, records what changed (flags
// banned and removed items), downloads items whose time_updated moved, and
// publishes a new generation of every layer whose content changed. An
// item that fails to download keeps its previous revision in the layers.
// When some downloads failed for transient reasons the returned error wraps
// ErrTransient (after everything else was done), so a job system can run
// Refresh again later; corrupt files are only recorded on the item.
func (s *Service) Refresh(ctx context.Context, p Progress) (RefreshResult, error) {
	if p == nil {
		p = NopProgress{}
	}
	var res RefreshResult
	items, err := s.st.WorkshopItems(ctx)
	if err != nil {
		return res, err
	}
	p.Progress(0, fmt.Sprintf("asking Steam about %d item(s)", len(items)))
	ids := make([]uint64, len(items))
	for i, it := range items {
		ids[i] = it.ID
	}
	var details []Details
	if len(ids) > 0 {
		err = s.retry.do(ctx, func(int) error {
			var err error
			details, err = s.api.Details(ctx, ids)
			return err
		})
		if err != nil {
			return res, err
		}
	}
	res.Checked = len(details)
	metas := make([]store.WorkshopMeta, 0, len(details))
	for _, d := range details {
		if d.Refused == "" {
			metas = append(metas, meta(d))
		}
	}
	if err := s.st.SaveWorkshopMeta(ctx, metas); err != nil {
		return res, err
	}
	var pending []Details
	var refused []Result
	for i, d := range details {
		old := items[i]
		switch {
		case d.Refused != "":
			res.Refused = append(res.Refused, d.ID)
			rerr := d.RefusedErr()
			refused = append(refused, Result{ID: d.ID, Revision: old.Revision, Err: rerr})
			p.Logf("%v; keeping revision %q", rerr, old.Revision)
			if err := s.st.SetWorkshopError(ctx, d.ID, rerr.Error()); err != nil {
				return res, err
			}
			continue
		case !d.Available():
			res.Removed = append(res.Removed, d.ID)
			if !old.Removed {
				p.Logf("item %d %q is no longer available on the Workshop (result %d); keeping revision %q", d.ID, old.Title, d.Result, old.Revision)
			}
			continue
		case d.ConsumerAppID != AppID:
			msg := fmt.Sprintf("%v: item %d is now for app %d", ErrWrongApp, d.ID, d.ConsumerAppID)
			p.Logf("%s", msg)
			if err := s.st.SetWorkshopError(ctx, d.ID, msg); err != nil {
				return res, err
			}
			continue
		}
		if d.Banned {
			res.Banned = append(res.Banned, d.ID)
			if !old.Banned {
				p.Logf("item %d %q is banned on the Workshop: %s", d.ID, d.Title, d.BanReason)
			}
		}
		if hasContent(d.FileURL, d.Filename, d.FileSize) && d.Revision() != old.Revision {
			pending = append(pending, d)
		} else if old.Revision == d.Revision() && strings.HasPrefix(old.Error, ErrRefusedItem.Error()) {
			// Refused before, usable now, and its revision is on disk.
			if err := s.st.SetWorkshopError(ctx, d.ID, ""); err != nil {
				return res, err
			}
		}
	}
	p.Logf("%d item(s) checked, %d to download", len(details), len(pending))
	res.Downloads, err = s.download(ctx, pending, p, 0.1, 0.9)
	res.Downloads = append(res.Downloads, refused...)
	if err != nil {
		return res, err
	}
	p.Progress(0.9, "publishing layers")
	res.Published = map[string]string{}
	layers, err := s.st.WorkshopLayers(ctx)
	if err != nil {
		return res, err
	}
	for _, l := range layers {
		gen, published, err := s.Publish(ctx, l.ID)
		if err != nil {
			return res, err
		}
		if published {
			res.Published[l.ID] = gen
			p.Logf("layer %s: published generation %s", l.ID, gen)
		}
	}
	p.Progress(1, "done")
	var transientErrs []error
	for _, r := range res.Downloads {
		if r.Err != nil && IsTransient(r.Err) {
			transientErrs = append(transientErrs, r.Err)
		}
	}
	if len(transientErrs) > 0 {
		return res, fmt.Errorf("refresh: %d download(s) failed: %w", len(transientErrs), errors.Join(transientErrs...))
	}
	return res, nil
}

// LayerView is a workshop layer with its items' records, in layer order.
type LayerView struct {
	store.WorkshopLayer
	ItemRecords []store.WorkshopItem
}

// Layer returns the layer id with its items; store.ErrNotFound (wrapped)
// if there is no such workshop layer.
func (s *Service) Layer(ctx context.Context, id string) (LayerView, error) {
	l, err := s.st.WorkshopLayer(ctx, id)
	if err != nil {
		return LayerView{}, err
	}
	return s.view(ctx, l)
}

// Layers returns every workshop layer with its items, ordered by id.
func (s *Service) Layers(ctx context.Context) ([]LayerView, error) {
	ls, err := s.st.WorkshopLayers(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]LayerView, 0, len(ls))
	for _, l := range ls {
		v, err := s.view(ctx, l)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func (s *Service) view(ctx context.Context, l store.WorkshopLayer) (LayerView, error) {
	v := LayerView{WorkshopLayer: l}
	for _, id := range l.Items {
		it, err := s.st.WorkshopItem(ctx, id)
		if err != nil {
			return LayerView{}, err
		}
		v.ItemRecords = append(v.ItemRecords, it)
	}
	return v, nil
}

// UpdatePending reports whether Steam has a revision of the item that is
// not downloaded yet.
func UpdatePending(it store.WorkshopItem) bool { return needsDownload(it) }

// Remove takes the items named by refs (ids or URLs; collections are not
// expanded) out of layer and publishes a new generation without them. The
// items' downloads stay on disk for other layers and older generations.
func (s *Service) Remove(ctx context.Context, layer string, refs []string) (removed int, gen string, published bool, err error) {
	if err := ValidateLayerID(layer); err != nil {
		return 0, "", false, err
	}
	ids, err := ParseIDs(refs)
	if err != nil {
		return 0, "", false, err
	}
	if removed, err = s.st.RemoveWorkshopItems(ctx, layer, ids); err != nil {
		return 0, "", false, err
	}
	gen, published, err = s.Publish(ctx, layer)
	return removed, gen, published, err
}

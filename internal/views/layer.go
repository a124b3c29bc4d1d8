package views

import (
	"time"

	"github.com/left4me/left4me/internal/content"
	"github.com/left4me/left4me/internal/store"
	"github.com/left4me/left4me/internal/workshop"
)

// Layer is a content layer instances stack over the game.
type Layer struct {
	ID string `json:"id"`
	// Kind is script, upload or workshop; absent for a layer that exists
	// only on disk.
	Kind        string `json:"kind,omitempty"`
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
	Incremental bool   `json:"incremental"`
	// Source names the example a seeded layer came from.
	Source      string   `json:"source,omitempty"`
	Generations []string `json:"generations"` // oldest first
	// Newest is the generation the next start mounts; absent when the
	// layer was never built.
	Newest string   `json:"newest,omitempty"`
	UsedBy []string `json:"used_by"` // instances whose layer list names it
	// Script is a script layer's bash script, in the views of one layer
	// and only for administrators (the CLI is run by one).
	Script string `json:"script,omitempty"`
	// Items are a workshop layer's items, in the views of one layer (and
	// there always a list).
	Items []WorkshopItem `json:"items,omitzero"`
}

// NewLayer is the view of l without script and items.
func NewLayer(l content.LayerInfo) Layer {
	return Layer{ID: l.ID, Kind: l.Kind, Name: l.Name, Description: l.Description, Incremental: l.Incremental,
		Source: l.Source, Generations: nonNil(l.Generations), Newest: l.Newest, UsedBy: nonNil(l.UsedBy)}
}

// WorkshopItem is a Steam Workshop item of a workshop layer.
type WorkshopItem struct {
	ID    uint64 `json:"id"` // Steam's publishedfileid
	Title string `json:"title,omitempty"`
	// TimeUpdated is when Steam says the item last changed (Unix seconds,
	// 0 before Steam answered).
	TimeUpdated int64 `json:"time_updated"`
	// Revision is the downloaded revision; absent when none is.
	Revision string `json:"revision,omitempty"`
	// UpdatePending: Steam has a newer revision than the one downloaded.
	UpdatePending bool   `json:"update_pending"`
	FileSize      int64  `json:"file_size"`
	Banned        bool   `json:"banned"`
	BanReason     string `json:"ban_reason,omitempty"`
	Removed       bool   `json:"removed"` // Steam no longer serves it
	Error         string `json:"error,omitempty"`
	PreviewURL    string `json:"preview_url,omitempty"`
	Addon         Addon  `json:"addon"`
	// CheckedAt is Steam's last answer about it.
	CheckedAt time.Time `json:"checked_at,omitzero"`
}

// NewWorkshopItem is the view of it.
func NewWorkshopItem(it store.WorkshopItem) WorkshopItem {
	return WorkshopItem{
		ID: it.ID, Title: it.Title, TimeUpdated: it.TimeUpdated, Revision: it.Revision,
		UpdatePending: workshop.UpdatePending(it), FileSize: it.FileSize, Banned: it.Banned,
		BanReason: it.BanReason, Removed: it.Removed, Error: it.Error, PreviewURL: it.PreviewURL,
		Addon: NewAddon(it.Addon), CheckedAt: utc(it.CheckedAt),
	}
}

// Flagged reports whether the item needs the operator's eye: banned,
// removed, failing, or not in the layer.
func (it WorkshopItem) Flagged() bool {
	return it.Banned || it.Removed || it.Error != "" || it.Revision == ""
}

// WorkshopItems is the view of a workshop layer's items, never nil.
func WorkshopItems(v workshop.LayerView) []WorkshopItem {
	out := make([]WorkshopItem, 0, len(v.ItemRecords))
	for _, it := range v.ItemRecords {
		out = append(out, NewWorkshopItem(it))
	}
	return out
}

// WorkshopLayer is a workshop layer's published state.
type WorkshopLayer struct {
	ID string `json:"id"`
	// Generation is the newest published generation; absent before the
	// first.
	Generation  string    `json:"generation,omitempty"`
	PublishedAt time.Time `json:"published_at,omitzero"`
	ItemIDs     []uint64  `json:"item_ids"` // in the layer's order
	Flagged     int       `json:"flagged"`  // items that need the operator's eye
	// Items are the items, in the views of one layer (and there always a
	// list).
	Items []WorkshopItem `json:"items,omitzero"`
}

// NewWorkshopLayer is the view of v; withItems adds its items.
func NewWorkshopLayer(v workshop.LayerView, withItems bool) WorkshopLayer {
	out := WorkshopLayer{ID: v.ID, Generation: v.Generation, PublishedAt: utc(v.PublishedAt), ItemIDs: nonNil(v.Items)}
	items := WorkshopItems(v)
	for _, it := range items {
		if it.Flagged() {
			out.Flagged++
		}
	}
	if withItems {
		out.Items = items
	}
	return out
}

// Addon is what an item's VPK says about itself (its addoninfo.txt and
// missions/*.txt).
type Addon struct {
	Title     string     `json:"title,omitempty"`
	Version   string     `json:"version,omitempty"`
	Author    string     `json:"author,omitempty"`
	Maps      []string   `json:"maps"`
	Campaigns []Campaign `json:"campaigns"`
	Warnings  []string   `json:"warnings"`
}

// Campaign is one missions/*.txt file of an addon.
type Campaign struct {
	Name  string              `json:"name,omitempty"`
	Title string              `json:"title,omitempty"`
	Modes map[string][]string `json:"modes"` // game mode: map names in order
}

// NewAddon is the view of a.
func NewAddon(a store.WorkshopAddon) Addon {
	out := Addon{Title: a.Title, Version: a.Version, Author: a.Author, Maps: nonNil(a.Maps),
		Campaigns: make([]Campaign, 0, len(a.Campaigns)), Warnings: nonNil(a.Warnings)}
	for _, c := range a.Campaigns {
		modes := make(map[string][]string, len(c.Modes))
		for m, maps := range c.Modes {
			modes[m] = nonNil(maps)
		}
		out.Campaigns = append(out.Campaigns, Campaign{Name: c.Name, Title: c.Title, Modes: modes})
	}
	return out
}

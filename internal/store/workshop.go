package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// WorkshopItem is a Steam Workshop item's row.
type WorkshopItem struct {
	ID          uint64 // publishedfileid
	Title       string
	Filename    string
	FileURL     string
	FileSize    int64
	TimeUpdated int64 // Unix seconds, as Steam last reported it
	PreviewURL  string
	Result      int  // Steam's result code, 1 = OK
	Removed     bool // Result != 1: Steam no longer serves the item
	Banned      bool
	BanReason   string
	// Revision is the downloaded revision directory name ("" = none yet);
	// when it differs from TimeUpdated the item has an update pending.
	Revision string
	VPKSize  int64
	Addon    WorkshopAddon
	// Error is the last problem with the item (corrupt VPK, failed
	// download); "" when none.
	Error     string
	CheckedAt time.Time // last Web API answer; zero if never
	CreatedAt time.Time
	UpdatedAt time.Time
}

// WorkshopAddon is what an item's VPK says about itself.
type WorkshopAddon struct {
	Title     string             `json:"title,omitempty"`
	Version   string             `json:"version,omitempty"`
	Author    string             `json:"author,omitempty"`
	Maps      []string           `json:"maps,omitempty"`
	Campaigns []WorkshopCampaign `json:"campaigns,omitempty"`
	Warnings  []string           `json:"warnings,omitempty"`
}

// WorkshopCampaign is one missions/*.txt file of an addon.
type WorkshopCampaign struct {
	Name  string              `json:"name,omitempty"`
	Title string              `json:"title,omitempty"`
	Modes map[string][]string `json:"modes,omitempty"` // game mode → map names in order
}

// WorkshopMeta is what the Steam Web API said about an item.
type WorkshopMeta struct {
	ID          uint64
	Result      int
	Title       string
	Filename    string
	FileURL     string
	FileSize    int64
	TimeUpdated int64
	PreviewURL  string
	Banned      bool
	BanReason   string
}

// WorkshopLayer is a named, ordered group of Workshop items published as
// the content layer overlays/<ID>/<Generation>/.
type WorkshopLayer struct {
	ID    string
	Items []uint64 // in the layer's order
	// Generation is the newest published generation ("" = none) and
	// Content the item revisions it holds.
	Generation  string
	Content     []WorkshopLayerEntry
	PublishedAt time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// WorkshopLayerEntry is one item revision inside a published generation.
type WorkshopLayerEntry struct {
	ID       uint64 `json:"id"`
	Revision string `json:"revision"`
}

func sqlID(id uint64) (int64, error) {
	if id == 0 || id > math.MaxInt64 {
		return 0, fmt.Errorf("workshop item id %d out of range", id)
	}
	return int64(id), nil
}

const workshopItemColumns = `id, title, filename, file_url, file_size, time_updated, preview_url, result, removed,
	banned, ban_reason, revision, vpk_size, addon, error, checked_at, created_at, updated_at`

func scanWorkshopItem(row rowScanner) (WorkshopItem, error) {
	var (
		it               WorkshopItem
		id               int64
		addon            string
		checked          sql.NullString
		created, updated string
	)
	if err := row.Scan(&id, &it.Title, &it.Filename, &it.FileURL, &it.FileSize, &it.TimeUpdated, &it.PreviewURL,
		&it.Result, &it.Removed, &it.Banned, &it.BanReason, &it.Revision, &it.VPKSize, &addon, &it.Error,
		&checked, &created, &updated); err != nil {
		return WorkshopItem{}, err
	}
	it.ID = uint64(id)
	if err := json.Unmarshal([]byte(addon), &it.Addon); err != nil {
		return WorkshopItem{}, fmt.Errorf("addon of workshop item %d: %w", id, err)
	}
	if checked.Valid {
		it.CheckedAt = parseTime(checked.String)
	}
	it.CreatedAt, it.UpdatedAt = parseTime(created), parseTime(updated)
	return it, nil
}

// WorkshopItem returns one item; ErrNotFound (wrapped) if unknown.
func (s *Store) WorkshopItem(ctx context.Context, id uint64) (WorkshopItem, error) {
	sid, err := sqlID(id)
	if err != nil {
		return WorkshopItem{}, err
	}
	it, err := scanWorkshopItem(s.db.QueryRowContext(ctx,
		`SELECT `+workshopItemColumns+` FROM workshop_items WHERE id = ?`, sid))
	if errors.Is(err, sql.ErrNoRows) {
		return WorkshopItem{}, fmt.Errorf("workshop item %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return WorkshopItem{}, fmt.Errorf("get workshop item %d: %w", id, err)
	}
	return it, nil
}

// WorkshopItems returns every known item ordered by id.
func (s *Store) WorkshopItems(ctx context.Context) ([]WorkshopItem, error) {
	return queryAll(ctx, s.db, "list workshop items", scanWorkshopItem, `SELECT `+workshopItemColumns+` FROM workshop_items ORDER BY id`)
}

// saveMeta upserts one item's Web API details. For an item Steam no longer
// serves only the result and the removed flag change, so that what was
// known about it stays visible.
func saveMeta(ctx context.Context, tx *sql.Tx, m WorkshopMeta, at string) error {
	sid, err := sqlID(m.ID)
	if err != nil {
		return err
	}
	removed := m.Result != 1
	if removed {
		_, err = tx.ExecContext(ctx, `
			INSERT INTO workshop_items (id, result, removed, checked_at, created_at, updated_at)
			VALUES (?, ?, 1, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET result = excluded.result, removed = 1,
				checked_at = excluded.checked_at, updated_at = excluded.updated_at`,
			sid, m.Result, at, at, at)
	} else {
		_, err = tx.ExecContext(ctx, `
			INSERT INTO workshop_items (id, title, filename, file_url, file_size, time_updated, preview_url,
				result, removed, banned, ban_reason, checked_at, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET title = excluded.title, filename = excluded.filename,
				file_url = excluded.file_url, file_size = excluded.file_size,
				time_updated = excluded.time_updated, preview_url = excluded.preview_url,
				result = excluded.result, removed = 0, banned = excluded.banned,
				ban_reason = excluded.ban_reason, checked_at = excluded.checked_at,
				updated_at = excluded.updated_at`,
			sid, m.Title, m.Filename, m.FileURL, m.FileSize, m.TimeUpdated, m.PreviewURL,
			m.Result, m.Banned, m.BanReason, at, at, at)
	}
	if err != nil {
		return fmt.Errorf("save workshop item %d: %w", m.ID, err)
	}
	return nil
}

// SaveWorkshopMeta records what the Web API said about items, creating rows
// for new ones, in one transaction.
func (s *Store) SaveWorkshopMeta(ctx context.Context, metas []WorkshopMeta) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save workshop items: %w", err)
	}
	defer tx.Rollback()
	at := now()
	for _, m := range metas {
		if err := saveMeta(ctx, tx, m, at); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("save workshop items: %w", err)
	}
	return nil
}

// SetWorkshopDownload records that revision of item id is on disk, with the
// file's size and what the VPK says, and clears the item's error.
func (s *Store) SetWorkshopDownload(ctx context.Context, id uint64, revision string, size int64, addon WorkshopAddon) error {
	sid, err := sqlID(id)
	if err != nil {
		return err
	}
	b, err := json.Marshal(addon)
	if err != nil {
		return fmt.Errorf("encode addon of workshop item %d: %w", id, err)
	}
	res, err := s.db.ExecContext(ctx, `UPDATE workshop_items SET revision = ?, vpk_size = ?, addon = ?, error = '', updated_at = ? WHERE id = ?`,
		revision, size, string(b), now(), sid)
	if err != nil {
		return fmt.Errorf("record download of workshop item %d: %w", id, err)
	}
	return workshopAffected(res, fmt.Sprintf("workshop item %d", id))
}

// SetWorkshopError records (msg != "") or clears (msg == "") the item's
// problem.
func (s *Store) SetWorkshopError(ctx context.Context, id uint64, msg string) error {
	sid, err := sqlID(id)
	if err != nil {
		return err
	}
	res, err := s.db.ExecContext(ctx, `UPDATE workshop_items SET error = ?, updated_at = ? WHERE id = ?`, msg, now(), sid)
	if err != nil {
		return fmt.Errorf("record error of workshop item %d: %w", id, err)
	}
	return workshopAffected(res, fmt.Sprintf("workshop item %d", id))
}

func workshopAffected(res sql.Result, what string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return nil
}

// AddWorkshopItems records metas and appends their ids to layer (creating
// the layer when it does not exist), all in one transaction. Items already
// in the layer keep their place. It returns the ids newly added to the
// layer and whether the layer was created.
func (s *Store) AddWorkshopItems(ctx context.Context, layer string, metas []WorkshopMeta) (added []uint64, created bool, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, false, fmt.Errorf("add workshop items: %w", err)
	}
	defer tx.Rollback()
	at := now()
	// The id is reserved among all content layers by a row of kind
	// workshop in layers; a layer of another kind keeps its id.
	var kind string
	err = tx.QueryRowContext(ctx, `SELECT kind FROM layers WHERE id = ?`, layer).Scan(&kind)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := tx.ExecContext(ctx, `INSERT INTO layers (id, kind, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
			layer, LayerWorkshop, layer, at, at); err != nil {
			return nil, false, fmt.Errorf("create workshop layer %s: %w", layer, err)
		}
	case err != nil:
		return nil, false, fmt.Errorf("create workshop layer %s: %w", layer, err)
	case kind != LayerWorkshop:
		return nil, false, fmt.Errorf("layer %s is a %s layer, not a workshop layer: %w", layer, kind, ErrConflict)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO workshop_layers (id, created_at, updated_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING`, layer, at, at)
	if err != nil {
		return nil, false, fmt.Errorf("create workshop layer %s: %w", layer, err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		created = true
	}
	var pos int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(position), 0) FROM workshop_layer_items WHERE layer = ?`, layer).Scan(&pos); err != nil {
		return nil, false, fmt.Errorf("add workshop items to %s: %w", layer, err)
	}
	for _, m := range metas {
		if err := saveMeta(ctx, tx, m, at); err != nil {
			return nil, false, err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO workshop_layer_items (layer, item, position) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
			layer, int64(m.ID), pos+1)
		if err != nil {
			return nil, false, fmt.Errorf("add workshop item %d to %s: %w", m.ID, layer, err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			pos++
			added = append(added, m.ID)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE workshop_layers SET updated_at = ? WHERE id = ?`, at, layer); err != nil {
		return nil, false, fmt.Errorf("add workshop items to %s: %w", layer, err)
	}
	if err := tx.Commit(); err != nil {
		return nil, false, fmt.Errorf("add workshop items to %s: %w", layer, err)
	}
	return added, created, nil
}

// RemoveWorkshopItems takes ids out of layer (the items stay known). It
// returns how many were in the layer; ErrNotFound (wrapped) if the layer
// does not exist.
func (s *Store) RemoveWorkshopItems(ctx context.Context, layer string, ids []uint64) (int, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("remove workshop items: %w", err)
	}
	defer tx.Rollback()
	var one int
	if err := tx.QueryRowContext(ctx, `SELECT 1 FROM workshop_layers WHERE id = ?`, layer).Scan(&one); errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("workshop layer %s: %w", layer, ErrNotFound)
	} else if err != nil {
		return 0, fmt.Errorf("remove workshop items from %s: %w", layer, err)
	}
	removed := 0
	for _, id := range ids {
		sid, err := sqlID(id)
		if err != nil {
			return 0, err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM workshop_layer_items WHERE layer = ? AND item = ?`, layer, sid)
		if err != nil {
			return 0, fmt.Errorf("remove workshop item %d from %s: %w", id, layer, err)
		}
		n, _ := res.RowsAffected()
		removed += int(n)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE workshop_layers SET updated_at = ? WHERE id = ?`, now(), layer); err != nil {
		return 0, fmt.Errorf("remove workshop items from %s: %w", layer, err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("remove workshop items from %s: %w", layer, err)
	}
	return removed, nil
}

// DeleteWorkshopLayer deletes the layer's records (its row in layers and,
// by cascade, its workshop rows), not its generations on disk. ErrNotFound
// (wrapped) if it does not exist.
func (s *Store) DeleteWorkshopLayer(ctx context.Context, id string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM layers WHERE id = ? AND kind = ?`, id, LayerWorkshop)
	if err != nil {
		return fmt.Errorf("delete workshop layer %s: %w", id, err)
	}
	return workshopAffected(res, "workshop layer "+id)
}

// SetWorkshopLayerPublished records a newly published generation and the
// item revisions it holds.
func (s *Store) SetWorkshopLayerPublished(ctx context.Context, id, generation string, content []WorkshopLayerEntry) error {
	if content == nil {
		content = []WorkshopLayerEntry{}
	}
	b, err := json.Marshal(content)
	if err != nil {
		return fmt.Errorf("encode content of workshop layer %s: %w", id, err)
	}
	at := now()
	res, err := s.db.ExecContext(ctx, `UPDATE workshop_layers SET generation = ?, content = ?, published_at = ?, updated_at = ? WHERE id = ?`,
		generation, string(b), at, at, id)
	if err != nil {
		return fmt.Errorf("record generation of workshop layer %s: %w", id, err)
	}
	return workshopAffected(res, "workshop layer "+id)
}

const workshopLayerColumns = `id, generation, content, published_at, created_at, updated_at`

func scanWorkshopLayer(row rowScanner) (WorkshopLayer, error) {
	var (
		l                WorkshopLayer
		content          string
		published        sql.NullString
		created, updated string
	)
	if err := row.Scan(&l.ID, &l.Generation, &content, &published, &created, &updated); err != nil {
		return WorkshopLayer{}, err
	}
	if err := json.Unmarshal([]byte(content), &l.Content); err != nil {
		return WorkshopLayer{}, fmt.Errorf("content of workshop layer %s: %w", l.ID, err)
	}
	if published.Valid {
		l.PublishedAt = parseTime(published.String)
	}
	l.CreatedAt, l.UpdatedAt = parseTime(created), parseTime(updated)
	return l, nil
}

// WorkshopLayer returns one layer with its items in order; ErrNotFound
// (wrapped) if unknown.
func (s *Store) WorkshopLayer(ctx context.Context, id string) (WorkshopLayer, error) {
	l, err := scanWorkshopLayer(s.db.QueryRowContext(ctx, `SELECT `+workshopLayerColumns+` FROM workshop_layers WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return WorkshopLayer{}, fmt.Errorf("workshop layer %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return WorkshopLayer{}, fmt.Errorf("get workshop layer %s: %w", id, err)
	}
	items, err := s.layerItems(ctx, []string{id})
	if err != nil {
		return WorkshopLayer{}, err
	}
	l.Items = items[id]
	return l, nil
}

// WorkshopLayers returns every layer, ordered by id, with its items.
func (s *Store) WorkshopLayers(ctx context.Context) ([]WorkshopLayer, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+workshopLayerColumns+` FROM workshop_layers ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list workshop layers: %w", err)
	}
	defer rows.Close()
	var out []WorkshopLayer
	for rows.Next() {
		l, err := scanWorkshopLayer(rows)
		if err != nil {
			return nil, fmt.Errorf("list workshop layers: %w", err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list workshop layers: %w", err)
	}
	rows.Close()
	items, err := s.layerItems(ctx, nil)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Items = items[out[i].ID]
	}
	return out, nil
}

// layerItems returns the ordered item ids of the given layers (all when
// layers is nil).
func (s *Store) layerItems(ctx context.Context, layers []string) (map[string][]uint64, error) {
	q := `SELECT layer, item FROM workshop_layer_items`
	var args []any
	if layers != nil {
		q += ` WHERE layer IN (?` + strings.Repeat(",?", len(layers)-1) + `)`
		for _, l := range layers {
			args = append(args, l)
		}
	}
	q += ` ORDER BY layer, position`
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list workshop layer items: %w", err)
	}
	defer rows.Close()
	out := map[string][]uint64{}
	for rows.Next() {
		var layer string
		var item int64
		if err := rows.Scan(&layer, &item); err != nil {
			return nil, fmt.Errorf("list workshop layer items: %w", err)
		}
		out[layer] = append(out[layer], uint64(item))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list workshop layer items: %w", err)
	}
	return out, nil
}

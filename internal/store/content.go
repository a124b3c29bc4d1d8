package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Layer kinds.
const (
	LayerScript   = "script"
	LayerUpload   = "upload"
	LayerWorkshop = "workshop"
)

// Layer is a content layer's record. Its files are the generations under
// overlays/<ID>/.
type Layer struct {
	ID          string
	Kind        string
	Name        string
	Description string
	// Script is the bash script of a script layer.
	Script string
	// Incremental builds start from a copy of the newest generation.
	Incremental bool
	// Source names the example a seeded layer came from.
	Source    string
	CreatedAt time.Time
	UpdatedAt time.Time
}

const layerColumns = `id, kind, name, description, script, incremental, source, created_at, updated_at`

func scanLayer(row rowScanner) (Layer, error) {
	var l Layer
	var created, updated string
	if err := row.Scan(&l.ID, &l.Kind, &l.Name, &l.Description, &l.Script, &l.Incremental, &l.Source, &created, &updated); err != nil {
		return Layer{}, err
	}
	l.CreatedAt, l.UpdatedAt = parseTime(created), parseTime(updated)
	return l, nil
}

// CreateLayer inserts l. A duplicate id wraps ErrConflict.
func (s *Store) CreateLayer(ctx context.Context, l Layer) (Layer, error) {
	t := now()
	_, err := s.db.ExecContext(ctx, `INSERT INTO layers (`+layerColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		l.ID, l.Kind, l.Name, l.Description, l.Script, l.Incremental, l.Source, t, t)
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE constraint failed") || strings.Contains(err.Error(), "PRIMARY KEY") {
			return Layer{}, fmt.Errorf("layer %q: %w", l.ID, ErrConflict)
		}
		return Layer{}, fmt.Errorf("create layer %q: %w", l.ID, err)
	}
	return s.LayerByID(ctx, l.ID)
}

// LayerByID returns a layer; a missing one wraps ErrNotFound.
func (s *Store) LayerByID(ctx context.Context, id string) (Layer, error) {
	l, err := scanLayer(s.db.QueryRowContext(ctx, `SELECT `+layerColumns+` FROM layers WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Layer{}, fmt.Errorf("layer %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return Layer{}, fmt.Errorf("read layer %q: %w", id, err)
	}
	return l, nil
}

// ListLayers returns every layer ordered by id.
func (s *Store) ListLayers(ctx context.Context) ([]Layer, error) {
	return queryAll(ctx, s.db, "list layers", scanLayer, `SELECT `+layerColumns+` FROM layers ORDER BY id`)
}

// UpdateLayer saves the name, description, script and incremental flag of
// l (id and kind never change). A missing layer wraps ErrNotFound.
func (s *Store) UpdateLayer(ctx context.Context, l Layer) (Layer, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE layers SET name = ?, description = ?, script = ?, incremental = ?, updated_at = ? WHERE id = ?`,
		l.Name, l.Description, l.Script, l.Incremental, now(), l.ID)
	if err != nil {
		return Layer{}, fmt.Errorf("update layer %q: %w", l.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Layer{}, fmt.Errorf("layer %q: %w", l.ID, ErrNotFound)
	}
	return s.LayerByID(ctx, l.ID)
}

// DeleteLayer removes a layer record and its build history. A missing layer
// wraps ErrNotFound.
func (s *Store) DeleteLayer(ctx context.Context, id string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM layers WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete layer %q: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("layer %q: %w", id, ErrNotFound)
	}
	return nil
}

// Build statuses.
const (
	BuildRunning   = "running"
	BuildSucceeded = "succeeded"
	BuildFailed    = "failed"
)

// ContentBuild is one build of a layer or of the installation.
type ContentBuild struct {
	ID         string
	LayerID    string // "" for installs
	Kind       string // install, script, upload, workshop
	Status     string
	Generation string
	Error      string
	UserID     int64 // 0 when unknown
	StartedAt  time.Time
	FinishedAt time.Time // zero while running
}

// StartContentBuild records a running build.
func (s *Store) StartContentBuild(ctx context.Context, b ContentBuild) error {
	var layer, user any
	if b.LayerID != "" {
		layer = b.LayerID
	}
	if b.UserID != 0 {
		user = b.UserID
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO content_builds (id, layer_id, kind, status, user_id, started_at) VALUES (?, ?, ?, ?, ?, ?)`,
		b.ID, layer, b.Kind, BuildRunning, user, now())
	if err != nil {
		return fmt.Errorf("record build %s: %w", b.ID, err)
	}
	return nil
}

// FinishContentBuild records how a build ended (status BuildSucceeded or
// BuildFailed).
func (s *Store) FinishContentBuild(ctx context.Context, id, status, generation, errMsg string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE content_builds SET status = ?, generation = ?, error = ?, finished_at = ? WHERE id = ?`,
		status, generation, errMsg, now(), id)
	if err != nil {
		return fmt.Errorf("record end of build %s: %w", id, err)
	}
	return nil
}

// ListContentBuilds returns the newest builds first, of one layer (or of
// installs with kind "install" and layerID ""), at most limit.
func (s *Store) ListContentBuilds(ctx context.Context, layerID string, limit int) ([]ContentBuild, error) {
	q := `SELECT id, COALESCE(layer_id, ''), kind, status, generation, error, COALESCE(user_id, 0), started_at, COALESCE(finished_at, '')
		FROM content_builds WHERE `
	var args []any
	if layerID == "" {
		q += `layer_id IS NULL`
	} else {
		q += `layer_id = ?`
		args = append(args, layerID)
	}
	q += ` ORDER BY started_at DESC, id DESC LIMIT ?`
	args = append(args, limit)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list builds: %w", err)
	}
	defer rows.Close()
	var out []ContentBuild
	for rows.Next() {
		var b ContentBuild
		var started, finished string
		if err := rows.Scan(&b.ID, &b.LayerID, &b.Kind, &b.Status, &b.Generation, &b.Error, &b.UserID, &started, &finished); err != nil {
			return nil, fmt.Errorf("list builds: %w", err)
		}
		b.StartedAt = parseTime(started)
		if finished != "" {
			b.FinishedAt = parseTime(finished)
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// FailRunningContentBuilds marks builds still recorded as running that
// started before t as failed with msg (their process died: the panel or
// CLI was killed mid-build). It returns how many it changed.
func (s *Store) FailRunningContentBuilds(ctx context.Context, t time.Time, msg string) (int64, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE content_builds SET status = ?, error = ?, finished_at = ? WHERE status = ? AND started_at < ?`,
		BuildFailed, msg, now(), BuildRunning, t.UTC().Format(time.RFC3339Nano))
	if err != nil {
		return 0, fmt.Errorf("fail interrupted builds: %w", err)
	}
	return res.RowsAffected()
}

package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Ban is a stored player ban. internal/bans validates and applies it; the
// store only keeps it.
type Ban struct {
	ID       int64
	SteamID  string // STEAM_1:Y:Z
	Reason   string
	ByUserID int64  // 0: the system (the CLI) or a deleted account
	ByName   string // the author's name when the ban was made
	At       time.Time
	// Expires is when the ban ends; zero: permanent.
	Expires time.Time
	// Global bans apply to every instance; others to Instances.
	Global    bool
	Instances []string
}

const banColumns = `id, steam_id, reason, COALESCE(by_user_id, 0), by_name, created_at, expires_at, global`

func scanBan(r rowScanner) (Ban, error) {
	var b Ban
	var at string
	var exp sql.NullInt64
	if err := r.Scan(&b.ID, &b.SteamID, &b.Reason, &b.ByUserID, &b.ByName, &at, &exp, &b.Global); err != nil {
		return Ban{}, err
	}
	b.At = parseTime(at)
	if exp.Valid {
		b.Expires = time.Unix(exp.Int64, 0).UTC()
	}
	return b, nil
}

// AddBan stores b with its instances (ignored for a global ban) in one
// transaction and returns it as stored; a zero At is now. An unknown
// instance gives ErrNotFound and stores nothing.
func (s *Store) AddBan(ctx context.Context, b Ban) (Ban, error) {
	var by sql.NullInt64
	if b.ByUserID != 0 {
		by = sql.NullInt64{Int64: b.ByUserID, Valid: true}
	}
	var exp sql.NullInt64
	if !b.Expires.IsZero() {
		exp = sql.NullInt64{Int64: b.Expires.Unix(), Valid: true}
	}
	at := now()
	if !b.At.IsZero() {
		at = b.At.UTC().Format(time.RFC3339Nano)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Ban{}, fmt.Errorf("ban %s: %w", b.SteamID, err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT INTO bans (steam_id, reason, by_user_id, by_name, created_at, expires_at, global)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, b.SteamID, b.Reason, by, b.ByName, at, exp, b.Global)
	if err != nil {
		return Ban{}, fmt.Errorf("ban %s: %w", b.SteamID, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return Ban{}, fmt.Errorf("ban %s: %w", b.SteamID, err)
	}
	if !b.Global {
		for _, name := range b.Instances {
			if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO ban_instances (ban_id, instance) VALUES (?, ?)`, id, name); err != nil {
				if violatesForeignKey(err) {
					return Ban{}, fmt.Errorf("ban %s on %s: instance %w", b.SteamID, name, ErrNotFound)
				}
				return Ban{}, fmt.Errorf("ban %s on %s: %w", b.SteamID, name, err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return Ban{}, fmt.Errorf("ban %s: %w", b.SteamID, err)
	}
	return s.GetBan(ctx, id)
}

// GetBan returns one ban with its instances; ErrNotFound when there is none.
func (s *Store) GetBan(ctx context.Context, id int64) (Ban, error) {
	b, err := scanBan(s.db.QueryRowContext(ctx, `SELECT `+banColumns+` FROM bans WHERE id = ?`, id))
	if err == sql.ErrNoRows {
		return Ban{}, fmt.Errorf("ban %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Ban{}, fmt.Errorf("read ban %d: %w", id, err)
	}
	bs, err := s.withInstances(ctx, []Ban{b})
	if err != nil {
		return Ban{}, err
	}
	return bs[0], nil
}

// withInstances fills in the instances of each non-global ban.
func (s *Store) withInstances(ctx context.Context, bans []Ban) ([]Ban, error) {
	if len(bans) == 0 {
		return bans, nil
	}
	idx := map[int64]int{}
	ids := make([]string, 0, len(bans))
	for i, b := range bans {
		idx[b.ID] = i
		ids = append(ids, fmt.Sprint(b.ID))
	}
	type pair struct {
		id   int64
		name string
	}
	// The ids are integers read from the database, so joining them is safe.
	pairs, err := queryAll(ctx, s.db, "read ban instances", func(r rowScanner) (pair, error) {
		var p pair
		return p, r.Scan(&p.id, &p.name)
	}, `SELECT ban_id, instance FROM ban_instances WHERE ban_id IN (`+strings.Join(ids, ",")+`) ORDER BY instance`)
	if err != nil {
		return nil, err
	}
	for _, p := range pairs {
		i := idx[p.id]
		bans[i].Instances = append(bans[i].Instances, p.name)
	}
	return bans, nil
}

// ActiveBans lists the bans in force at t (permanent or expiring after
// t), newest first, with their instances.
func (s *Store) ActiveBans(ctx context.Context, t time.Time) ([]Ban, error) {
	bans, err := queryAll(ctx, s.db, "list bans", scanBan, `SELECT `+banColumns+` FROM bans
		WHERE expires_at IS NULL OR expires_at > ? ORDER BY id DESC`, t.Unix())
	if err != nil {
		return nil, err
	}
	return s.withInstances(ctx, bans)
}

// BansOn lists the bans in force at t on one instance (global ones and
// those naming it), oldest first.
func (s *Store) BansOn(ctx context.Context, instance string, t time.Time) ([]Ban, error) {
	return queryAll(ctx, s.db, "list bans of "+instance, scanBan, `SELECT `+banColumns+` FROM bans
		WHERE (expires_at IS NULL OR expires_at > ?)
		  AND (global = 1 OR id IN (SELECT ban_id FROM ban_instances WHERE instance = ?))
		ORDER BY id`, t.Unix(), instance)
}

// ExpiredBans lists the bans whose time is over at t, with their instances.
func (s *Store) ExpiredBans(ctx context.Context, t time.Time) ([]Ban, error) {
	bans, err := queryAll(ctx, s.db, "list expired bans", scanBan, `SELECT `+banColumns+` FROM bans
		WHERE expires_at IS NOT NULL AND expires_at <= ? ORDER BY id`, t.Unix())
	if err != nil {
		return nil, err
	}
	return s.withInstances(ctx, bans)
}

// DeleteBan removes a ban; ErrNotFound when there is none.
func (s *Store) DeleteBan(ctx context.Context, id int64) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM bans WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete ban %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("delete ban %d: %w", id, ErrNotFound)
	}
	return nil
}

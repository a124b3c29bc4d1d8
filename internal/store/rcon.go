package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
	"unicode/utf8"
)

// RCONRetention is how many console commands are kept per instance.
const RCONRetention = 500

// MaxRCONResponse is the longest response kept in the history, in bytes;
// longer ones are cut and marked.
const MaxRCONResponse = 64 << 10

// RCONEntry is one command sent through the panel's RCON console and the
// server's reply. UserID is 0 and UserName empty when the user was deleted.
type RCONEntry struct {
	ID        int64
	Instance  string
	UserID    int64
	UserName  string
	Command   string
	Response  string
	CreatedAt time.Time
}

// AddRCON records a console command and its response for an instance.
// userID 0 records no user. Entries beyond RCONRetention are dropped,
// oldest first.
func (s *Store) AddRCON(ctx context.Context, instance string, userID int64, command, response string) (RCONEntry, error) {
	if len(response) > MaxRCONResponse {
		cut := MaxRCONResponse
		for cut > 0 && !utf8.RuneStart(response[cut]) {
			cut--
		}
		response = response[:cut] + "\n[response truncated]"
	}
	var uid sql.NullInt64
	if userID != 0 {
		uid = sql.NullInt64{Int64: userID, Valid: true}
	}
	created := now()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return RCONEntry{}, fmt.Errorf("record rcon command for %s: %w", instance, err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx,
		`INSERT INTO rcon_history (instance, user_id, command, response, created_at) VALUES (?, ?, ?, ?, ?)`,
		instance, uid, command, response, created)
	if err != nil {
		if violatesForeignKey(err) {
			return RCONEntry{}, fmt.Errorf("record rcon command for %s: instance or user %w", instance, ErrNotFound)
		}
		return RCONEntry{}, fmt.Errorf("record rcon command for %s: %w", instance, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return RCONEntry{}, fmt.Errorf("record rcon command for %s: %w", instance, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM rcon_history WHERE instance = ?1 AND id <= (
		SELECT id FROM rcon_history WHERE instance = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)`,
		instance, RCONRetention); err != nil {
		return RCONEntry{}, fmt.Errorf("record rcon command for %s: trim history: %w", instance, err)
	}
	var name sql.NullString
	if uid.Valid {
		if err := tx.QueryRowContext(ctx, `SELECT name FROM users WHERE id = ?`, userID).Scan(&name); err != nil {
			return RCONEntry{}, fmt.Errorf("record rcon command for %s: user %d: %w", instance, userID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return RCONEntry{}, fmt.Errorf("record rcon command for %s: %w", instance, err)
	}
	return RCONEntry{ID: id, Instance: instance, UserID: userID, UserName: name.String,
		Command: command, Response: response, CreatedAt: parseTime(created)}, nil
}

// ListRCON returns the newest limit (<= 0 means RCONRetention) console
// commands of an instance, oldest first.
func (s *Store) ListRCON(ctx context.Context, instance string, limit int) ([]RCONEntry, error) {
	if limit <= 0 || limit > RCONRetention {
		limit = RCONRetention
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, user_id, name, command, response, created_at FROM (
		SELECT h.id, h.user_id, u.name, h.command, h.response, h.created_at
		FROM rcon_history h LEFT JOIN users u ON u.id = h.user_id
		WHERE h.instance = ? ORDER BY h.id DESC LIMIT ?
	) ORDER BY id`, instance, limit)
	if err != nil {
		return nil, fmt.Errorf("list rcon history of %s: %w", instance, err)
	}
	defer rows.Close()
	var out []RCONEntry
	for rows.Next() {
		e := RCONEntry{Instance: instance}
		var uid sql.NullInt64
		var name sql.NullString
		var created string
		if err := rows.Scan(&e.ID, &uid, &name, &e.Command, &e.Response, &created); err != nil {
			return nil, fmt.Errorf("list rcon history of %s: %w", instance, err)
		}
		e.UserID, e.UserName, e.CreatedAt = uid.Int64, name.String, parseTime(created)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list rcon history of %s: %w", instance, err)
	}
	return out, nil
}

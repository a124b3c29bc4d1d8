package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// AuditEntry is one recorded action (internal/audit).
type AuditEntry struct {
	ID       int64
	At       time.Time
	Actor    string
	UserID   int64 // 0: not a panel account (CLI, schedule, watchdog)
	TokenID  int64 // 0: no API token
	Action   string
	Target   string
	Instance string
	Summary  string
	Address  string
	Result   string // empty: done
}

// AuditFilter selects audit entries. Zero fields select everything.
type AuditFilter struct {
	Actor    string
	Instance string
	Action   string // exact, or a prefix ending in "." ("instances.")
	Since    time.Time
	Until    time.Time
	// VisibleTo, when non-zero, keeps the entries of instances that user
	// owns or has been shared, and the user's own actions.
	VisibleTo int64
	Limit     int // newest first; 0 means 200
}

// AddAudit records an entry; a zero At is now.
func (s *Store) AddAudit(ctx context.Context, e AuditEntry) error {
	at := auditTime(time.Now())
	if !e.At.IsZero() {
		at = auditTime(e.At)
	}
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO audit_log (at, actor, user_id, token_id, action, target, instance, summary, address, result)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		at, e.Actor, nullID(e.UserID), nullID(e.TokenID), e.Action, e.Target, e.Instance, e.Summary, e.Address, e.Result)
	if err != nil {
		return fmt.Errorf("record audit entry %s: %w", e.Action, err)
	}
	return nil
}

func nullID(id int64) any {
	if id <= 0 {
		return nil
	}
	return id
}

// Audit returns entries matching f, newest first.
func (s *Store) Audit(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	var where []string
	var args []any
	if f.Actor != "" {
		where, args = append(where, "actor = ?"), append(args, f.Actor)
	}
	if f.Instance != "" {
		where, args = append(where, "instance = ?"), append(args, f.Instance)
	}
	if f.Action != "" {
		if strings.HasSuffix(f.Action, ".") {
			where, args = append(where, "substr(action, 1, ?) = ?"), append(args, len(f.Action), f.Action)
		} else {
			where, args = append(where, "action = ?"), append(args, f.Action)
		}
	}
	if !f.Since.IsZero() {
		where, args = append(where, "at >= ?"), append(args, auditTime(f.Since))
	}
	if !f.Until.IsZero() {
		where, args = append(where, "at < ?"), append(args, auditTime(f.Until))
	}
	if f.VisibleTo > 0 {
		where = append(where, `(user_id = ? OR (instance != '' AND instance IN
			(SELECT name FROM instances WHERE owner_id = ? UNION SELECT instance FROM instance_shares WHERE user_id = ?)))`)
		args = append(args, f.VisibleTo, f.VisibleTo, f.VisibleTo)
	}
	q := `SELECT id, at, actor, coalesce(user_id, 0), coalesce(token_id, 0), action, target, instance, summary, address, result FROM audit_log`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 200
	}
	q += " ORDER BY id DESC LIMIT ?"
	args = append(args, limit)
	return queryAll(ctx, s.db, "list audit entries", func(row rowScanner) (AuditEntry, error) {
		var e AuditEntry
		var at string
		err := row.Scan(&e.ID, &at, &e.Actor, &e.UserID, &e.TokenID, &e.Action, &e.Target, &e.Instance, &e.Summary, &e.Address, &e.Result)
		e.At = parseTime(at)
		return e, err
	}, q, args...)
}

// PruneAudit deletes entries older than before and returns how many.
func (s *Store) PruneAudit(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM audit_log WHERE at < ?`, auditTime(before))
	if err != nil {
		return 0, fmt.Errorf("prune audit log: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// auditTime formats t with a fixed-width fraction, so that the text order
// of the at column is the time order the range filters rely on.
func auditTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

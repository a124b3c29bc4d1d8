package store

import (
	"context"
	"fmt"
	"time"
)

// stampFormat keeps watchdog_restarts.at in fixed width, so that the
// strings compare as the times do.
const stampFormat = "2006-01-02T15:04:05.000000000Z07:00"

// SetUnhealthy marks an instance unhealthy since at with a reason, or
// healthy again when at is zero.
func (s *Store) SetUnhealthy(ctx context.Context, name string, at time.Time, reason string) error {
	var v any
	if !at.IsZero() {
		v = at.UTC().Format(stampFormat)
	} else {
		reason = ""
	}
	res, err := s.db.ExecContext(ctx, `UPDATE instances SET unhealthy_at = ?, unhealthy_reason = ? WHERE name = ?`, v, reason, name)
	if err != nil {
		return fmt.Errorf("mark instance %q unhealthy: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("mark instance %q unhealthy: %w", name, ErrNotFound)
	}
	return nil
}

// AddWatchdogRestart records a restart of an instance by the watchdog at
// at and forgets those of the instance older than a day.
func (s *Store) AddWatchdogRestart(ctx context.Context, name string, at time.Time) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("record watchdog restart of %q: %w", name, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO watchdog_restarts (instance, at) VALUES (?, ?)`,
		name, at.UTC().Format(stampFormat)); err != nil {
		if violatesForeignKey(err) {
			return fmt.Errorf("record watchdog restart of %q: %w", name, ErrNotFound)
		}
		return fmt.Errorf("record watchdog restart of %q: %w", name, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM watchdog_restarts WHERE instance = ? AND at < ?`,
		name, at.Add(-24*time.Hour).UTC().Format(stampFormat)); err != nil {
		return fmt.Errorf("record watchdog restart of %q: forget old ones: %w", name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("record watchdog restart of %q: %w", name, err)
	}
	return nil
}

// WatchdogRestartsSince counts an instance's watchdog restarts at or after
// since.
func (s *Store) WatchdogRestartsSince(ctx context.Context, name string, since time.Time) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM watchdog_restarts WHERE instance = ? AND at >= ?`,
		name, since.UTC().Format(stampFormat)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count watchdog restarts of %q: %w", name, err)
	}
	return n, nil
}

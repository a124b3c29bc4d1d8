package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// BackupRetention returns how many scheduled backups of instance are kept
// per day and per week; ok is false when the instance has no setting of
// its own.
func (s *Store) BackupRetention(ctx context.Context, instance string) (daily, weekly int, ok bool, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT keep_daily, keep_weekly FROM backup_retention WHERE instance = ?`, instance).Scan(&daily, &weekly)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, false, nil
	}
	if err != nil {
		return 0, 0, false, fmt.Errorf("read the backup retention of %s: %w", instance, err)
	}
	return daily, weekly, true, nil
}

// SetBackupRetention stores the retention of instance; ErrNotFound when
// there is no such instance.
func (s *Store) SetBackupRetention(ctx context.Context, instance string, daily, weekly int) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO backup_retention (instance, keep_daily, keep_weekly) VALUES (?, ?, ?)
		ON CONFLICT(instance) DO UPDATE SET keep_daily = excluded.keep_daily, keep_weekly = excluded.keep_weekly`, instance, daily, weekly)
	if err != nil {
		if violatesForeignKey(err) {
			return fmt.Errorf("set the backup retention of %s: instance %w", instance, ErrNotFound)
		}
		return fmt.Errorf("set the backup retention of %s: %w", instance, err)
	}
	return nil
}

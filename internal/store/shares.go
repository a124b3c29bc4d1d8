package store

import (
	"context"
	"fmt"
	"strings"
)

// ShareInstance shares an instance with a user in the admin role (what a
// share was before roles). Sharing twice is not an error; an existing
// share keeps its role.
func (s *Store) ShareInstance(ctx context.Context, instance string, userID int64) error {
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO instance_shares (instance, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, instance, userID)
	if err != nil {
		if strings.Contains(err.Error(), "FOREIGN KEY") {
			return fmt.Errorf("share instance %q with user %d: %w", instance, userID, ErrNotFound)
		}
		return fmt.Errorf("share instance %q with user %d: %w", instance, userID, err)
	}
	return nil
}

// UnshareInstance withdraws a share. Withdrawing a missing share is not an error.
func (s *Store) UnshareInstance(ctx context.Context, instance string, userID int64) error {
	if _, err := s.db.ExecContext(ctx,
		`DELETE FROM instance_shares WHERE instance = ? AND user_id = ?`, instance, userID); err != nil {
		return fmt.Errorf("unshare instance %q from user %d: %w", instance, userID, err)
	}
	return nil
}

// InstanceShares returns the users an instance is shared with, by name.
func (s *Store) InstanceShares(ctx context.Context, instance string) ([]User, error) {
	rows, err := s.db.QueryContext(ctx, `
		SELECT u.id, u.name, u.password_hash, u.is_admin, u.created_at, u.max_instances, u.max_running, u.may_create
		FROM instance_shares sh JOIN users u ON u.id = sh.user_id
		WHERE sh.instance = ? ORDER BY u.name`, instance)
	if err != nil {
		return nil, fmt.Errorf("list shares of %q: %w", instance, err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list shares of %q: %w", instance, err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// SharedWith returns the names of the instances shared with a user.
func (s *Store) SharedWith(ctx context.Context, userID int64) (map[string]bool, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT instance FROM instance_shares WHERE user_id = ?`, userID)
	if err != nil {
		return nil, fmt.Errorf("instances shared with user %d: %w", userID, err)
	}
	defer rows.Close()
	out := make(map[string]bool)
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, fmt.Errorf("instances shared with user %d: %w", userID, err)
		}
		out[name] = true
	}
	return out, rows.Err()
}

// IsSharedWith reports whether an instance is shared with a user.
func (s *Store) IsSharedWith(ctx context.Context, instance string, userID int64) (bool, error) {
	var n int
	if err := s.db.QueryRowContext(ctx,
		`SELECT count(*) FROM instance_shares WHERE instance = ? AND user_id = ?`, instance, userID).Scan(&n); err != nil {
		return false, fmt.Errorf("is %q shared with user %d: %w", instance, userID, err)
	}
	return n > 0, nil
}

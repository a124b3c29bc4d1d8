package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// Share is one user an instance is shared with, and the role the share
// gives (viewer, operator or admin: roles.Role says what each may do).
type Share struct {
	User User
	Role string
}

// SetShare shares an instance with a user in role, or changes the role of
// an existing share. A missing instance or user wraps ErrNotFound; a role
// the database does not know is refused by its CHECK constraint.
func (s *Store) SetShare(ctx context.Context, instance string, userID int64, role string) error {
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO instance_shares (instance, user_id, role) VALUES (?, ?, ?)
		 ON CONFLICT (instance, user_id) DO UPDATE SET role = excluded.role`, instance, userID, role)
	if err != nil {
		if strings.Contains(err.Error(), "FOREIGN KEY") {
			return fmt.Errorf("share instance %q with user %d: %w", instance, userID, ErrNotFound)
		}
		return fmt.Errorf("share instance %q with user %d as %s: %w", instance, userID, role, err)
	}
	return nil
}

// Shares returns the users an instance is shared with and their roles, by
// user name.
func (s *Store) Shares(ctx context.Context, instance string) ([]Share, error) {
	rows, err := s.db.QueryContext(ctx, `
		SELECT u.id, u.name, u.password_hash, u.is_admin, u.created_at, u.max_instances, u.max_running, u.may_create, sh.role
		FROM instance_shares sh JOIN users u ON u.id = sh.user_id
		WHERE sh.instance = ? ORDER BY u.name`, instance)
	if err != nil {
		return nil, fmt.Errorf("list shares of %q: %w", instance, err)
	}
	defer rows.Close()
	var out []Share
	for rows.Next() {
		var sh Share
		var created string
		u := &sh.User
		var maxInstances, maxRunning sql.NullInt64
		if err := rows.Scan(&u.ID, &u.Name, &u.PasswordHash, &u.IsAdmin, &created, &maxInstances, &maxRunning, &u.MayCreate, &sh.Role); err != nil {
			return nil, fmt.Errorf("list shares of %q: %w", instance, err)
		}
		u.CreatedAt = parseTime(created)
		u.Limits = Limits{MaxInstances: intOrNil(maxInstances), MaxRunning: intOrNil(maxRunning)}
		out = append(out, sh)
	}
	return out, rows.Err()
}

// ShareRole returns the role of the share of an instance with a user, ""
// when there is none.
func (s *Store) ShareRole(ctx context.Context, instance string, userID int64) (string, error) {
	var role string
	err := s.db.QueryRowContext(ctx,
		`SELECT coalesce(max(role), '') FROM instance_shares WHERE instance = ? AND user_id = ?`, instance, userID).Scan(&role)
	if err != nil {
		return "", fmt.Errorf("share of %q with user %d: %w", instance, userID, err)
	}
	return role, nil
}

// ShareRoles returns the instances shared with a user and the role of each.
func (s *Store) ShareRoles(ctx context.Context, userID int64) (map[string]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT instance, role FROM instance_shares WHERE user_id = ?`, userID)
	if err != nil {
		return nil, fmt.Errorf("instances shared with user %d: %w", userID, err)
	}
	defer rows.Close()
	out := make(map[string]string)
	for rows.Next() {
		var name, role string
		if err := rows.Scan(&name, &role); err != nil {
			return nil, fmt.Errorf("instances shared with user %d: %w", userID, err)
		}
		out[name] = role
	}
	return out, rows.Err()
}

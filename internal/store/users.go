package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// User is an account. PasswordHash is an encoded hash (see internal/auth).
type User struct {
	ID           int64
	Name         string
	PasswordHash string
	IsAdmin      bool
	CreatedAt    time.Time
	// Limits are what an administrator set for the account; nil fields
	// mean the default of its role (instance.LimitsOf reads them).
	Limits Limits
	// MayCreate is the account permission "may create instances", set by
	// an administrator (roles.MayCreate reads it; administrators always
	// may). New accounts start without it.
	MayCreate bool
}

// Limits are an account's own limits: how many instances it may own and
// how many of them may run at once. Nil is the default of the account's
// role, a negative value no limit (the instance package's Unlimited).
type Limits struct {
	MaxInstances *int
	MaxRunning   *int
}

// CreateUser inserts a user and returns it with its id.
func (s *Store) CreateUser(ctx context.Context, name, passwordHash string, admin bool) (User, error) {
	u := User{Name: name, PasswordHash: passwordHash, IsAdmin: admin}
	created := now()
	res, err := s.db.ExecContext(ctx,
		`INSERT INTO users (name, password_hash, is_admin, created_at) VALUES (?, ?, ?, ?)`,
		name, passwordHash, admin, created)
	if err != nil {
		if isUnique(err) {
			return User{}, fmt.Errorf("create user %q: %w", name, ErrConflict)
		}
		return User{}, fmt.Errorf("create user %q: %w", name, err)
	}
	if u.ID, err = res.LastInsertId(); err != nil {
		return User{}, fmt.Errorf("create user %q: %w", name, err)
	}
	u.CreatedAt = parseTime(created)
	return u, nil
}

const userColumns = `id, name, password_hash, is_admin, created_at, max_instances, max_running, may_create`

func scanUser(row rowScanner) (User, error) {
	var u User
	var created string
	var maxInstances, maxRunning sql.NullInt64
	if err := row.Scan(&u.ID, &u.Name, &u.PasswordHash, &u.IsAdmin, &created, &maxInstances, &maxRunning, &u.MayCreate); err != nil {
		return User{}, err
	}
	u.CreatedAt = parseTime(created)
	u.Limits = Limits{MaxInstances: intOrNil(maxInstances), MaxRunning: intOrNil(maxRunning)}
	return u, nil
}

func intOrNil(n sql.NullInt64) *int {
	if !n.Valid {
		return nil
	}
	v := int(n.Int64)
	return &v
}

func nilOrInt(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

// SetLimits stores a user's limits (nil fields: the role's default). A
// missing user wraps ErrNotFound.
func (s *Store) SetLimits(ctx context.Context, id int64, l Limits) error {
	res, err := s.db.ExecContext(ctx, `UPDATE users SET max_instances = ?, max_running = ? WHERE id = ?`,
		nilOrInt(l.MaxInstances), nilOrInt(l.MaxRunning), id)
	if err != nil {
		return fmt.Errorf("set limits of user %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("set limits of user %d: %w", id, ErrNotFound)
	}
	return nil
}

// SetMayCreate grants or withdraws an account's permission to create
// instances. A missing user wraps ErrNotFound.
func (s *Store) SetMayCreate(ctx context.Context, id int64, may bool) error {
	res, err := s.db.ExecContext(ctx, `UPDATE users SET may_create = ? WHERE id = ?`, may, id)
	if err != nil {
		return fmt.Errorf("set may-create of user %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("set may-create of user %d: %w", id, ErrNotFound)
	}
	return nil
}

// UserByName looks a user up by name.
func (s *Store) UserByName(ctx context.Context, name string) (User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, fmt.Errorf("user %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return User{}, fmt.Errorf("user %q: %w", name, err)
	}
	return u, nil
}

// UserByID looks a user up by id.
func (s *Store) UserByID(ctx context.Context, id int64) (User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, fmt.Errorf("user %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return User{}, fmt.Errorf("user %d: %w", id, err)
	}
	return u, nil
}

// ListUsers returns every user ordered by name.
func (s *Store) ListUsers(ctx context.Context) ([]User, error) {
	return queryAll(ctx, s.db, "list users", scanUser, `SELECT `+userColumns+` FROM users ORDER BY name`)
}

// CountUsers returns how many accounts exist.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}

// SetPassword replaces a user's password hash and ends their sessions.
func (s *Store) SetPassword(ctx context.Context, id int64, passwordHash string) error {
	_, err := s.ChangePassword(ctx, id, passwordHash, false)
	return err
}

// ChangePassword replaces a user's password hash and ends their sessions;
// with revokeTokens it also revokes all their valid API tokens, in the same
// transaction, and says how many.
func (s *Store) ChangePassword(ctx context.Context, id int64, passwordHash string, revokeTokens bool) (revoked int, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("set password: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, passwordHash, id)
	if err != nil {
		return 0, fmt.Errorf("set password: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return 0, fmt.Errorf("set password of user %d: %w", id, ErrNotFound)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, id); err != nil {
		return 0, fmt.Errorf("set password: end sessions: %w", err)
	}
	if revokeTokens {
		res, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL`, now(), id)
		if err != nil {
			return 0, fmt.Errorf("set password: revoke API tokens: %w", err)
		}
		n, _ := res.RowsAffected()
		revoked = int(n)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("set password: %w", err)
	}
	return revoked, nil
}

// ErrUserOwnsInstances is returned (wrapped) when deleting a user who still owns instances.
var ErrUserOwnsInstances = errors.New("user still owns instances")

// DeleteUser removes a user, their sessions, tokens and shares. A user who
// owns instances is refused.
func (s *Store) DeleteUser(ctx context.Context, id int64) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, id)
	if err != nil {
		if strings.Contains(err.Error(), "FOREIGN KEY") {
			return fmt.Errorf("delete user %d: %w", id, ErrUserOwnsInstances)
		}
		return fmt.Errorf("delete user %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("delete user %d: %w", id, ErrNotFound)
	}
	return nil
}

func isUnique(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// APIToken is a named, revocable credential for automation. Only the hash of
// the token is stored; the token itself is shown to its owner once.
type APIToken struct {
	ID         int64
	UserID     int64
	Name       string
	CreatedAt  time.Time
	LastUsedAt time.Time // zero when never used
	RevokedAt  time.Time // zero while valid
}

// Revoked reports whether the token has been revoked.
func (t APIToken) Revoked() bool { return !t.RevokedAt.IsZero() }

// CreateAPIToken stores the hash of a new token for a user.
func (s *Store) CreateAPIToken(ctx context.Context, userID int64, name, tokenHash string) (APIToken, error) {
	created := now()
	res, err := s.db.ExecContext(ctx,
		`INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES (?, ?, ?, ?)`,
		userID, name, tokenHash, created)
	if err != nil {
		return APIToken{}, fmt.Errorf("create API token %q: %w", name, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return APIToken{}, fmt.Errorf("create API token %q: %w", name, err)
	}
	return APIToken{ID: id, UserID: userID, Name: name, CreatedAt: parseTime(created)}, nil
}

func scanToken(row rowScanner) (APIToken, error) {
	var t APIToken
	var created string
	var used, revoked sql.NullString
	if err := row.Scan(&t.ID, &t.UserID, &t.Name, &created, &used, &revoked); err != nil {
		return APIToken{}, err
	}
	t.CreatedAt = parseTime(created)
	if used.Valid {
		t.LastUsedAt = parseTime(used.String)
	}
	if revoked.Valid {
		t.RevokedAt = parseTime(revoked.String)
	}
	return t, nil
}

const tokenColumns = `id, user_id, name, created_at, last_used_at, revoked_at`

// ListAPITokens returns a user's tokens, newest first, revoked ones included.
func (s *Store) ListAPITokens(ctx context.Context, userID int64) ([]APIToken, error) {
	return queryAll(ctx, s.db, "list API tokens", scanToken,
		`SELECT `+tokenColumns+` FROM api_tokens WHERE user_id = ? ORDER BY id DESC`, userID)
}

// RevokeAPIToken revokes one of a user's tokens. A token of another user is ErrNotFound.
func (s *Store) RevokeAPIToken(ctx context.Context, userID, id int64) error {
	res, err := s.db.ExecContext(ctx,
		`UPDATE api_tokens SET revoked_at = coalesce(revoked_at, ?) WHERE id = ? AND user_id = ?`,
		now(), id, userID)
	if err != nil {
		return fmt.Errorf("revoke API token %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("revoke API token %d: %w", id, ErrNotFound)
	}
	return nil
}

// UserByAPIToken returns the owner of a valid (unrevoked) token and records
// its use. An unknown or revoked token is ErrNotFound.
func (s *Store) UserByAPIToken(ctx context.Context, tokenHash string) (User, APIToken, error) {
	t, err := scanToken(s.db.QueryRowContext(ctx,
		`SELECT `+tokenColumns+` FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL`, tokenHash))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, APIToken{}, fmt.Errorf("API token: %w", ErrNotFound)
	}
	if err != nil {
		return User{}, APIToken{}, fmt.Errorf("look up API token: %w", err)
	}
	u, err := s.UserByID(ctx, t.UserID)
	if err != nil {
		return User{}, APIToken{}, fmt.Errorf("API token owner: %w", err)
	}
	// Record the use at most once a minute to keep reads cheap under automation.
	used := time.Now().UTC()
	if used.Sub(t.LastUsedAt) > time.Minute {
		if _, err := s.db.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`,
			formatTime(used), t.ID); err != nil {
			return User{}, APIToken{}, fmt.Errorf("record API token use: %w", err)
		}
		t.LastUsedAt = used
	}
	return u, t, nil
}

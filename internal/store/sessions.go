package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Session is a server-side login session. Only the SHA-256 of the cookie
// value is stored (IDHash); CSRFToken is the per-session anti-forgery token.
type Session struct {
	IDHash    string
	UserID    int64
	CSRFToken string
	CreatedAt time.Time
	ExpiresAt time.Time
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// CreateSession stores a new session.
func (s *Store) CreateSession(ctx context.Context, sess Session) error {
	if sess.CreatedAt.IsZero() {
		sess.CreatedAt = time.Now()
	}
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		sess.IDHash, sess.UserID, sess.CSRFToken, formatTime(sess.CreatedAt), formatTime(sess.ExpiresAt))
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// SessionByHash returns an unexpired session and its user. An expired or
// unknown session is ErrNotFound.
func (s *Store) SessionByHash(ctx context.Context, idHash string, now time.Time) (Session, User, error) {
	row := s.db.QueryRowContext(ctx, `
		SELECT s.id_hash, s.user_id, s.csrf_token, s.created_at, s.expires_at,
		       u.id, u.name, u.password_hash, u.is_admin, u.created_at
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.id_hash = ?`, idHash)
	var sess Session
	var u User
	var sCreated, sExpires, uCreated string
	err := row.Scan(&sess.IDHash, &sess.UserID, &sess.CSRFToken, &sCreated, &sExpires,
		&u.ID, &u.Name, &u.PasswordHash, &u.IsAdmin, &uCreated)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, User{}, fmt.Errorf("session: %w", ErrNotFound)
	}
	if err != nil {
		return Session{}, User{}, fmt.Errorf("look up session: %w", err)
	}
	sess.CreatedAt, sess.ExpiresAt, u.CreatedAt = parseTime(sCreated), parseTime(sExpires), parseTime(uCreated)
	if !now.Before(sess.ExpiresAt) {
		return Session{}, User{}, fmt.Errorf("session expired: %w", ErrNotFound)
	}
	return sess, u, nil
}

// ExtendSession moves a session's expiry (sliding renewal).
func (s *Store) ExtendSession(ctx context.Context, idHash string, expires time.Time) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE sessions SET expires_at = ? WHERE id_hash = ?`,
		formatTime(expires), idHash); err != nil {
		return fmt.Errorf("extend session: %w", err)
	}
	return nil
}

// DeleteSession ends one session (logout). Deleting a missing session is not an error.
func (s *Store) DeleteSession(ctx context.Context, idHash string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = ?`, idHash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteExpiredSessions removes sessions that expired before now and returns how many.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, formatTime(now))
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

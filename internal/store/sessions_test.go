package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

func openWebStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "left4me.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestSessions(t *testing.T) {
	ctx := context.Background()
	s := openWebStore(t)
	u, err := s.CreateUser(ctx, "alice", "h", false)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	if err := s.CreateSession(ctx, Session{IDHash: "abc", UserID: u.ID, CSRFToken: "tok", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	sess, got, err := s.SessionByHash(ctx, "abc", t0.Add(time.Minute))
	if err != nil || got.Name != "alice" || sess.CSRFToken != "tok" || !sess.ExpiresAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("SessionByHash = %+v %+v %v", sess, got, err)
	}
	if _, _, err := s.SessionByHash(ctx, "abc", t0.Add(time.Hour)); !errors.Is(err, ErrNotFound) {
		t.Errorf("expired session: err = %v, want ErrNotFound", err)
	}
	if err := s.ExtendSession(ctx, "abc", t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SessionByHash(ctx, "abc", t0.Add(90*time.Minute)); err != nil {
		t.Errorf("extended session: %v", err)
	}
	if n, err := s.DeleteExpiredSessions(ctx, t0.Add(3*time.Hour)); err != nil || n != 1 {
		t.Errorf("DeleteExpiredSessions = %d, %v", n, err)
	}
	if err := s.CreateSession(ctx, Session{IDHash: "def", UserID: u.ID, CSRFToken: "t", ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPassword(ctx, u.ID, "h2"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SessionByHash(ctx, "def", time.Now()); !errors.Is(err, ErrNotFound) {
		t.Errorf("session survived a password change: err = %v", err)
	}
}

func TestAPITokens(t *testing.T) {
	ctx := context.Background()
	s := openWebStore(t)
	alice, _ := s.CreateUser(ctx, "alice", "h", false)
	bob, _ := s.CreateUser(ctx, "bob", "h", false)
	tok, err := s.CreateAPIToken(ctx, alice.ID, "ci", "hash1")
	if err != nil {
		t.Fatal(err)
	}
	u, got, err := s.UserByAPIToken(ctx, "hash1")
	if err != nil || u.ID != alice.ID || got.ID != tok.ID || got.LastUsedAt.IsZero() {
		t.Fatalf("UserByAPIToken = %+v %+v %v", u, got, err)
	}
	if _, _, err := s.UserByAPIToken(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown token: err = %v", err)
	}
	if err := s.RevokeAPIToken(ctx, bob.ID, tok.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("bob revoked alice's token: err = %v", err)
	}
	if err := s.RevokeAPIToken(ctx, alice.ID, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.UserByAPIToken(ctx, "hash1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("revoked token still works: err = %v", err)
	}
	list, err := s.ListAPITokens(ctx, alice.ID)
	if err != nil || len(list) != 1 || !list[0].Revoked() || list[0].Name != "ci" {
		t.Errorf("ListAPITokens = %+v, %v", list, err)
	}
}

func TestShares(t *testing.T) {
	ctx := context.Background()
	s := openWebStore(t)
	alice, _ := s.CreateUser(ctx, "alice", "h", false)
	bob, _ := s.CreateUser(ctx, "bob", "h", false)
	if _, err := s.DB().ExecContext(ctx, `INSERT INTO instances (name, owner_id, port, rcon_password, created_at, updated_at)
		VALUES ('one', ?, 27015, 'pw', ?, ?)`, alice.ID, now(), now()); err != nil {
		t.Fatal(err)
	}
	if err := s.ShareInstance(ctx, "missing", bob.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("share of a missing instance: err = %v", err)
	}
	for range 2 {
		if err := s.ShareInstance(ctx, "one", bob.ID); err != nil {
			t.Fatal(err)
		}
	}
	if ok, err := s.IsSharedWith(ctx, "one", bob.ID); !ok || err != nil {
		t.Errorf("IsSharedWith = %v, %v", ok, err)
	}
	if m, err := s.SharedWith(ctx, bob.ID); !m["one"] || len(m) != 1 || err != nil {
		t.Errorf("SharedWith = %v, %v", m, err)
	}
	if us, err := s.InstanceShares(ctx, "one"); len(us) != 1 || us[0].Name != "bob" || err != nil {
		t.Errorf("InstanceShares = %+v, %v", us, err)
	}
	if err := s.UnshareInstance(ctx, "one", bob.ID); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.IsSharedWith(ctx, "one", bob.ID); ok {
		t.Error("still shared after UnshareInstance")
	}
}

// TestChangePasswordRevokesTokens: a password change revokes all the
// user's valid tokens when asked (and only theirs), and none otherwise.
func TestChangePasswordRevokesTokens(t *testing.T) {
	ctx := context.Background()
	s := openWebStore(t)
	alice, _ := s.CreateUser(ctx, "alice", "h", false)
	bob, _ := s.CreateUser(ctx, "bob", "h", false)
	for i, h := range []string{"a1", "a2", "a3"} {
		tok, err := s.CreateAPIToken(ctx, alice.ID, h, h)
		if err != nil {
			t.Fatal(err)
		}
		if i == 2 {
			if err := s.RevokeAPIToken(ctx, alice.ID, tok.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := s.CreateAPIToken(ctx, bob.ID, "b1", "b1"); err != nil {
		t.Fatal(err)
	}
	if n, err := s.ChangePassword(ctx, alice.ID, "h2", false); err != nil || n != 0 {
		t.Fatalf("ChangePassword keeping tokens = %d, %v", n, err)
	}
	if _, _, err := s.UserByAPIToken(ctx, "a1"); err != nil {
		t.Errorf("token revoked by a change that keeps them: %v", err)
	}
	if n, err := s.ChangePassword(ctx, alice.ID, "h3", true); err != nil || n != 2 {
		t.Fatalf("ChangePassword revoking tokens = %d, %v; want 2 revoked", n, err)
	}
	for _, h := range []string{"a1", "a2"} {
		if _, _, err := s.UserByAPIToken(ctx, h); !errors.Is(err, ErrNotFound) {
			t.Errorf("token %s survived the change: err = %v", h, err)
		}
	}
	if _, _, err := s.UserByAPIToken(ctx, "b1"); err != nil {
		t.Errorf("another user's token was revoked: %v", err)
	}
	if _, err := s.ChangePassword(ctx, 9999, "h", true); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown user: err = %v, want ErrNotFound", err)
	}
}

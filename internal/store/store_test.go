package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
)

func TestOpenMigratesAndReopens(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "left4me.db")
	for range 2 {
		s, err := Open(ctx, path)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		var mode string
		if err := s.DB().QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
			t.Fatal(err)
		}
		if mode != "wal" {
			t.Errorf("journal_mode = %q, want wal", mode)
		}
		var n int
		if err := s.DB().QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE name = 'instances'").Scan(&n); err != nil || n != 1 {
			t.Errorf("instances table: n=%d err=%v", n, err)
		}
		s.Close()
	}
}

func TestUsers(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u, err := s.CreateUser(ctx, "alice", "h1", true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, "alice", "h2", false); !errors.Is(err, ErrConflict) {
		t.Fatalf("duplicate user: err = %v, want ErrConflict", err)
	}
	got, err := s.UserByName(ctx, "alice")
	if err != nil || got.ID != u.ID || !got.IsAdmin || got.PasswordHash != "h1" {
		t.Fatalf("UserByName = %+v, %v", got, err)
	}
	if err := s.SetPassword(ctx, u.ID, "h3"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.UserByID(ctx, u.ID); got.PasswordHash != "h3" {
		t.Errorf("password hash = %q after SetPassword", got.PasswordHash)
	}
	if _, err := s.UserByName(ctx, "bob"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing user: err = %v, want ErrNotFound", err)
	}
	if err := s.DeleteUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.CountUsers(ctx); n != 0 {
		t.Errorf("CountUsers = %d after delete", n)
	}
}

// TestOpenConcurrentMigrations opens one new database from several goroutines
// at once, each with its own connection pool, as separate processes would.
func TestOpenConcurrentMigrations(t *testing.T) {
	ctx := context.Background()
	for round := range 5 {
		path := filepath.Join(t.TempDir(), "left4me.db")
		errs := make(chan error, 4)
		for range 4 {
			go func() {
				s, err := Open(ctx, path)
				if err == nil {
					s.Close()
				}
				errs <- err
			}()
		}
		for range 4 {
			if err := <-errs; err != nil {
				t.Fatalf("round %d: concurrent Open: %v", round, err)
			}
		}
	}
}

// TestUserLimits: limits are stored per account, nil (the role's default)
// until set, and read back by every query that returns users.
func TestUserLimits(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u, err := s.CreateUser(ctx, "bob", "h", false)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := s.UserByID(ctx, u.ID); got.Limits.MaxInstances != nil || got.Limits.MaxRunning != nil {
		t.Fatalf("a new account has limits %+v, want none of its own", got.Limits)
	}
	five, none := 5, -1
	if err := s.SetLimits(ctx, u.ID, Limits{MaxInstances: &five, MaxRunning: &none}); err != nil {
		t.Fatal(err)
	}
	got, err := s.UserByName(ctx, "bob")
	if err != nil || got.Limits.MaxInstances == nil || *got.Limits.MaxInstances != 5 || got.Limits.MaxRunning == nil || *got.Limits.MaxRunning != -1 {
		t.Fatalf("limits after SetLimits: %+v %v", got.Limits, err)
	}
	if err := s.SetLimits(ctx, u.ID, Limits{MaxInstances: &five}); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListUsers(ctx)
	if err != nil || len(list) != 1 || list[0].Limits.MaxRunning != nil || *list[0].Limits.MaxInstances != 5 {
		t.Fatalf("ListUsers: %+v %v", list, err)
	}
	if err := s.SetLimits(ctx, u.ID+100, Limits{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("limits of a missing user: err %v, want ErrNotFound", err)
	}
}

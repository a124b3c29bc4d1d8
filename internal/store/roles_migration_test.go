package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/pressly/goose/v3"
)

// TestRolesMigration (00006): accounts and shares that exist when the
// migration runs keep what they could do (may_create on, shares admin);
// accounts made afterwards start without may_create, and a share's role
// is one of viewer, operator, admin.
func TestRolesMigration(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db.sqlite")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	provider, err := goose.NewProvider(goose.DialectSQLite3, db, mustSub(migrations, "migrations"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := provider.UpTo(ctx, 5); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO users (id, name, password_hash, is_admin, created_at) VALUES (1, 'olive', 'x', 0, '2026-01-01T00:00:00Z'), (2, 'bob', 'x', 0, '2026-01-01T00:00:00Z')`,
		`INSERT INTO instances (name, owner_id, port, rcon_password, created_at, updated_at) VALUES ('alpha', 1, 27015, 'pw', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`,
		`INSERT INTO instance_shares (instance, user_id) VALUES ('alpha', 2)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	olive, err := s.UserByName(ctx, "olive")
	if err != nil || !olive.MayCreate {
		t.Errorf("an existing account lost may_create: %+v, %v", olive, err)
	}
	if role, err := s.ShareRole(ctx, "alpha", 2); role != "admin" || err != nil {
		t.Errorf("an existing share has role %q, %v; want admin", role, err)
	}
	fresh, err := s.CreateUser(ctx, "new", "x", false)
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := s.UserByID(ctx, fresh.ID); u.MayCreate {
		t.Error("a new account may create instances")
	}
	if err := s.SetShare(ctx, "alpha", fresh.ID, "boss"); err == nil {
		t.Error("the database took the role boss")
	}
	if err := s.SetShare(ctx, "alpha", 2, "viewer"); err != nil {
		t.Fatal(err)
	}
	if role, _ := s.ShareRole(ctx, "alpha", 2); role != "viewer" {
		t.Errorf("SetShare did not change the role: %q", role)
	}
	if shares, _ := s.Shares(ctx, "alpha"); len(shares) != 1 || shares[0].User.Name != "bob" || shares[0].Role != "viewer" {
		t.Errorf("Shares = %+v", shares)
	}
	if err := s.SetShare(ctx, "nope", 2, "viewer"); err == nil {
		t.Error("shared a missing instance")
	}

	// And back down: 00006's columns go, the shares stay.
	db2, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	down, err := goose.NewProvider(goose.DialectSQLite3, db2, mustSub(migrations, "migrations"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := down.DownTo(ctx, 5); err != nil {
		t.Fatalf("migrate down to 5: %v", err)
	}
	var n int
	if err := db2.QueryRowContext(ctx, `SELECT count(*) FROM instance_shares`).Scan(&n); err != nil || n != 1 {
		t.Errorf("shares after down: %d, %v", n, err)
	}
}

package store

import (
	"context"
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

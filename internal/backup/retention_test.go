package backup

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestRetentionKeepsTheRightOnes: the newest backup of each of the last N
// days and M ISO weeks that have one; the others go.
func TestRetentionKeepsTheRightOnes(t *testing.T) {
	at := func(s string) time.Time {
		tm, err := time.Parse("2006-01-02 15:04", s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	mk := func(times ...string) []Info {
		var out []Info
		for _, s := range times {
			out = append(out, Info{File: s, CreatedAt: at(s)})
		}
		return out
	}
	// 2026-11-30 is a Monday (ISO week 49); 2026-11-29 a Sunday (week 48).
	list := mk("2026-12-01 04:00", "2026-12-01 16:00", "2026-11-30 04:00", "2026-11-29 04:00", "2026-11-28 04:00",
		"2026-11-22 04:00", "2026-11-21 04:00", "2026-11-15 04:00", "2026-11-01 04:00")
	cases := []struct {
		r    Retention
		want []string
	}{
		{Retention{KeepDaily: 2, KeepWeekly: 0}, []string{"2026-12-01 16:00", "2026-11-30 04:00"}},
		{Retention{KeepDaily: 0, KeepWeekly: 3}, []string{"2026-12-01 16:00", "2026-11-29 04:00", "2026-11-22 04:00"}},
		{Retention{KeepDaily: 3, KeepWeekly: 4}, []string{"2026-12-01 16:00", "2026-11-30 04:00", "2026-11-29 04:00", "2026-11-22 04:00", "2026-11-15 04:00"}},
		{Retention{KeepDaily: 100, KeepWeekly: 100}, []string{"2026-12-01 16:00", "2026-11-30 04:00", "2026-11-29 04:00", "2026-11-28 04:00",
			"2026-11-22 04:00", "2026-11-21 04:00", "2026-11-15 04:00", "2026-11-01 04:00"}},
	}
	for _, c := range cases {
		kept := keep(list, c.r, time.UTC)
		var got []string
		for _, b := range list {
			if kept[b.File] {
				got = append(got, b.File)
			}
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%+v kept %q, want %q", c.r, got, c.want)
		}
	}
}

// TestPruneRemovesOnlyScheduledBackups: Prune applies the retention on
// disk to scheduled backups and leaves manual ones.
func TestPruneRemovesOnlyScheduledBackups(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	makeSource(t, f)
	if err := f.svc.SetRetention(ctx, "src", Retention{KeepDaily: 2, KeepWeekly: 0}); err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 11, 20, 4, 0, 0, 0, time.Local)
	var made []Info
	for i := range 4 {
		f.svc.cfg.Now = func() time.Time { return day.AddDate(0, 0, i) }
		b, err := f.svc.Backup(ctx, "src", Options{Kind: KindScheduled})
		if err != nil {
			t.Fatal(err)
		}
		made = append(made, b)
	}
	manual, err := f.svc.Backup(ctx, "src", Options{})
	if err != nil {
		t.Fatal(err)
	}
	removed, err := f.svc.Prune(ctx, "src")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(removed, []string{made[1].File, made[0].File}) && !slices.Equal(removed, []string{made[0].File, made[1].File}) {
		t.Errorf("removed %q, want the two oldest scheduled ones", removed)
	}
	list, _ := f.svc.List(ctx, "src")
	var files []string
	for _, b := range list {
		files = append(files, b.File)
	}
	if !slices.Equal(files, []string{manual.File, made[3].File, made[2].File}) {
		t.Errorf("left %q", files)
	}
	if _, err := os.Stat(filepath.Join(f.svc.Dir(), "src", made[0].File)); !os.IsNotExist(err) {
		t.Errorf("pruned backup still there: %v", err)
	}
}

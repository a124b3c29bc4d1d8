package backup

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/left4me/left4me/internal/instance"
)

// Retention returns how many scheduled backups of instance name are kept.
func (s *Service) Retention(ctx context.Context, name string) (Retention, error) {
	d, w, ok, err := s.cfg.Store.BackupRetention(ctx, name)
	if err != nil || !ok {
		return DefaultRetention, err
	}
	return Retention{KeepDaily: d, KeepWeekly: w}, nil
}

// SetRetention sets how many scheduled backups of instance name are kept.
func (s *Service) SetRetention(ctx context.Context, name string, r Retention) error {
	if r.KeepDaily < 0 || r.KeepDaily > MaxKeep {
		return &instance.FieldError{Field: FieldKeepDaily, Err: fmt.Errorf("%d is not from 0 to %d", r.KeepDaily, MaxKeep)}
	}
	if r.KeepWeekly < 0 || r.KeepWeekly > MaxKeep {
		return &instance.FieldError{Field: FieldKeepWeekly, Err: fmt.Errorf("%d is not from 0 to %d", r.KeepWeekly, MaxKeep)}
	}
	if r.KeepDaily == 0 && r.KeepWeekly == 0 {
		return &instance.FieldError{Field: FieldKeepDaily, Err: fmt.Errorf("keeping no daily and no weekly backup would remove each scheduled backup as it is made: keep at least one")}
	}
	if _, err := s.cfg.Instances.Get(ctx, name); err != nil {
		return err
	}
	return s.cfg.Store.SetBackupRetention(ctx, name, r.KeepDaily, r.KeepWeekly)
}

// keep returns which of the scheduled backups list (any order) the
// retention keeps: the newest backup of each of the KeepDaily newest days
// that have one, and of each of the KeepWeekly newest ISO weeks that have
// one, days and weeks in loc.
func keep(list []Info, r Retention, loc *time.Location) map[string]bool {
	byDay := map[string]Info{}
	byWeek := map[string]Info{}
	for _, b := range list {
		t := b.CreatedAt.In(loc)
		day := t.Format(time.DateOnly)
		y, w := t.ISOWeek()
		week := fmt.Sprintf("%04d-W%02d", y, w)
		if cur, ok := byDay[day]; !ok || b.CreatedAt.After(cur.CreatedAt) {
			byDay[day] = b
		}
		if cur, ok := byWeek[week]; !ok || b.CreatedAt.After(cur.CreatedAt) {
			byWeek[week] = b
		}
	}
	kept := map[string]bool{}
	for _, b := range newestN(byDay, r.KeepDaily) {
		kept[b.File] = true
	}
	for _, b := range newestN(byWeek, r.KeepWeekly) {
		kept[b.File] = true
	}
	return kept
}

// newestN returns the n newest backups of the buckets.
func newestN(buckets map[string]Info, n int) []Info {
	var all []Info
	for _, b := range buckets {
		all = append(all, b)
	}
	for i := 1; i < len(all); i++ {
		for j := i; j > 0 && all[j].CreatedAt.After(all[j-1].CreatedAt); j-- {
			all[j], all[j-1] = all[j-1], all[j]
		}
	}
	return all[:min(n, len(all))]
}

// Prune removes the scheduled backups of instance name that its retention
// does not keep, and returns their file names. Manual backups are never
// pruned.
func (s *Service) Prune(ctx context.Context, name string) ([]string, error) {
	r, err := s.Retention(ctx, name)
	if err != nil {
		return nil, err
	}
	list, err := s.List(ctx, name)
	if err != nil {
		return nil, err
	}
	var sched []Info
	for _, b := range list {
		if b.Kind == KindScheduled {
			sched = append(sched, b)
		}
	}
	kept := keep(sched, r, s.cfg.Location)
	var removed []string
	for _, b := range sched {
		if kept[b.File] {
			continue
		}
		if err := os.Remove(b.Path); err != nil {
			return removed, fmt.Errorf("prune the backups of %s: %w", name, err)
		}
		removed = append(removed, b.File)
	}
	return removed, nil
}

// Scheduled makes a scheduled backup of instance name and prunes its
// older ones; it says what it did (a schedule's "backup" action).
func (s *Service) Scheduled(ctx context.Context, name string) (string, error) {
	b, err := s.Backup(ctx, name, Options{Kind: KindScheduled})
	if err != nil {
		return "", err
	}
	removed, err := s.Prune(ctx, name)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("backed up %s to %s (%d bytes); pruned %d older", name, b.File, b.Size, len(removed)), nil
}

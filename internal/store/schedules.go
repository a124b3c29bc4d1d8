package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Schedule is a stored per-instance schedule. internal/schedule validates
// and interprets the fields; the store only keeps them.
type Schedule struct {
	ID        int64
	Instance  string
	Action    string
	Command   string
	WhenKind  string
	WhenSpec  string
	Policy    string
	MaxWait   time.Duration
	OnTimeout string
	// SecretsOK: the creator may read and set secret cvars (the instance's
	// owner or an administrator), so its rcon command may name them.
	SecretsOK bool
	CreatedBy int64 // 0: the system, or a deleted account
	CreatedAt time.Time
	// LastSlot is the newest slot handed to the job queue (zero: none yet).
	LastSlot time.Time
}

const scheduleColumns = `id, instance, action, command, when_kind, when_spec, policy, max_wait_s,
	on_timeout, secrets_ok, COALESCE(created_by, 0), created_at, last_slot`

func scanSchedule(r rowScanner) (Schedule, error) {
	var s Schedule
	var maxWait int64
	var created, last string
	if err := r.Scan(&s.ID, &s.Instance, &s.Action, &s.Command, &s.WhenKind, &s.WhenSpec, &s.Policy, &maxWait,
		&s.OnTimeout, &s.SecretsOK, &s.CreatedBy, &created, &last); err != nil {
		return Schedule{}, err
	}
	s.MaxWait = time.Duration(maxWait) * time.Second
	s.CreatedAt = parseTime(created)
	if last != "" {
		s.LastSlot = parseTime(last)
	}
	return s, nil
}

// CreateSchedule stores sc (ID and LastSlot are set here; a zero CreatedAt
// is now) and returns it as stored. An unknown instance gives ErrNotFound.
func (s *Store) CreateSchedule(ctx context.Context, sc Schedule) (Schedule, error) {
	var by sql.NullInt64
	if sc.CreatedBy != 0 {
		by = sql.NullInt64{Int64: sc.CreatedBy, Valid: true}
	}
	created := now()
	if !sc.CreatedAt.IsZero() {
		created = sc.CreatedAt.UTC().Format(time.RFC3339Nano)
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO schedules (instance, action, command, when_kind, when_spec,
		policy, max_wait_s, on_timeout, secrets_ok, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		sc.Instance, sc.Action, sc.Command, sc.WhenKind, sc.WhenSpec, sc.Policy, int64(sc.MaxWait/time.Second),
		sc.OnTimeout, sc.SecretsOK, by, created)
	if err != nil {
		if violatesForeignKey(err) {
			return Schedule{}, fmt.Errorf("create schedule of %s: instance or user %w", sc.Instance, ErrNotFound)
		}
		return Schedule{}, fmt.Errorf("create schedule of %s: %w", sc.Instance, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return Schedule{}, fmt.Errorf("create schedule of %s: %w", sc.Instance, err)
	}
	return s.GetSchedule(ctx, id)
}

// GetSchedule returns one schedule; ErrNotFound when there is none.
func (s *Store) GetSchedule(ctx context.Context, id int64) (Schedule, error) {
	sc, err := scanSchedule(s.db.QueryRowContext(ctx, `SELECT `+scheduleColumns+` FROM schedules WHERE id = ?`, id))
	if err == sql.ErrNoRows {
		return Schedule{}, fmt.Errorf("schedule %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Schedule{}, fmt.Errorf("get schedule %d: %w", id, err)
	}
	return sc, nil
}

// ListSchedules returns the schedules of one instance ("" for every
// instance), oldest first.
func (s *Store) ListSchedules(ctx context.Context, instance string) ([]Schedule, error) {
	if instance == "" {
		return queryAll(ctx, s.db, "list schedules", scanSchedule,
			`SELECT `+scheduleColumns+` FROM schedules ORDER BY id`)
	}
	return queryAll(ctx, s.db, "list schedules of "+instance, scanSchedule,
		`SELECT `+scheduleColumns+` FROM schedules WHERE instance = ? ORDER BY id`, instance)
}

// DeleteSchedule removes schedule id of instance; ErrNotFound when that
// instance has no such schedule.
func (s *Store) DeleteSchedule(ctx context.Context, instance string, id int64) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM schedules WHERE id = ? AND instance = ?`, id, instance)
	if err != nil {
		return fmt.Errorf("delete schedule %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("schedule %d of %s: %w", id, instance, ErrNotFound)
	}
	return nil
}

// AdvanceScheduleSlot records slot as the newest one handed to the job
// queue, unless a newer one is recorded already (two schedulers never move
// it back). It reports whether it moved.
func (s *Store) AdvanceScheduleSlot(ctx context.Context, id int64, slot time.Time) (bool, error) {
	v := slot.UTC().Truncate(time.Second).Format(time.RFC3339)
	// RFC 3339 UTC text in whole seconds sorts as time does.
	res, err := s.db.ExecContext(ctx, `UPDATE schedules SET last_slot = ? WHERE id = ? AND last_slot < ?`, v, id, v)
	if err != nil {
		return false, fmt.Errorf("record slot of schedule %d: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

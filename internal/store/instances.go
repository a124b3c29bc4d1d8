package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Instance is an instance's row. Layers and Args are stored as JSON arrays.
type Instance struct {
	Name         string
	OwnerID      int64
	Port         int
	Layers       []string // content layer ids, uppermost first
	Args         []string // extra srcds arguments
	RCONPassword string
	WantRunning  bool
	// Watchdog: the panel's watchdog restarts the server when it is frozen
	// (on by default).
	Watchdog bool
	// UnhealthyAt is when the watchdog last found the server frozen and did
	// not restart it (zero: healthy); UnhealthyReason says why.
	UnhealthyAt     time.Time
	UnhealthyReason string
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// ErrPortConflict is returned (wrapped) when another instance already has the port.
var ErrPortConflict = errors.New("port already used by another instance")

const instanceColumns = `name, owner_id, port, layers, args, rcon_password, want_running, created_at, updated_at, watchdog, unhealthy_at, unhealthy_reason`

func scanInstance(row rowScanner) (Instance, error) {
	var (
		in               Instance
		layers, args     string
		created, updated string
		unhealthy        sql.NullString
	)
	if err := row.Scan(&in.Name, &in.OwnerID, &in.Port, &layers, &args, &in.RCONPassword, &in.WantRunning, &created, &updated,
		&in.Watchdog, &unhealthy, &in.UnhealthyReason); err != nil {
		return Instance{}, err
	}
	if err := json.Unmarshal([]byte(layers), &in.Layers); err != nil {
		return Instance{}, fmt.Errorf("layers of %s: %w", in.Name, err)
	}
	if err := json.Unmarshal([]byte(args), &in.Args); err != nil {
		return Instance{}, fmt.Errorf("args of %s: %w", in.Name, err)
	}
	in.CreatedAt, in.UpdatedAt = parseTime(created), parseTime(updated)
	if unhealthy.Valid {
		in.UnhealthyAt = parseTime(unhealthy.String)
	}
	return in, nil
}

func encodeList(l []string) (string, error) {
	if l == nil {
		l = []string{}
	}
	b, err := json.Marshal(l)
	return string(b), err
}

// instanceConstraint maps a constraint failure of the instances table to a
// sentinel naming what collided.
func instanceConstraint(err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "UNIQUE constraint failed: instances.port"):
		return ErrPortConflict
	case strings.Contains(msg, "UNIQUE constraint failed: instances.name"),
		strings.Contains(msg, "PRIMARY KEY"):
		return ErrConflict
	case strings.Contains(msg, "FOREIGN KEY"):
		return fmt.Errorf("owner does not exist: %w", ErrNotFound)
	}
	return nil
}

// CreateInstance inserts in (with the watchdog on, healthy) and then, inside the same transaction, runs
// prepare (nil for none). The row is committed only when prepare succeeds, so
// a caller can create the instance's files under the database's write lock
// and have no row without files, and no other writer claim the same name or
// port meanwhile. A duplicate name wraps ErrConflict, a duplicate port
// ErrPortConflict, an unknown owner ErrNotFound. The returned row carries the
// timestamps.
func (s *Store) CreateInstance(ctx context.Context, in Instance, prepare func() error) (Instance, error) {
	layers, err := encodeList(in.Layers)
	if err != nil {
		return Instance{}, fmt.Errorf("create instance %q: %w", in.Name, err)
	}
	args, err := encodeList(in.Args)
	if err != nil {
		return Instance{}, fmt.Errorf("create instance %q: %w", in.Name, err)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Instance{}, fmt.Errorf("create instance %q: %w", in.Name, err)
	}
	defer tx.Rollback()
	ts := now()
	_, err = tx.ExecContext(ctx,
		`INSERT INTO instances (name, owner_id, port, layers, args, rcon_password, want_running, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		in.Name, in.OwnerID, in.Port, layers, args, in.RCONPassword, in.WantRunning, ts, ts)
	if err != nil {
		if c := instanceConstraint(err); c != nil {
			return Instance{}, fmt.Errorf("create instance %q: %w", in.Name, c)
		}
		return Instance{}, fmt.Errorf("create instance %q: %w", in.Name, err)
	}
	if prepare != nil {
		if err := prepare(); err != nil {
			return Instance{}, err
		}
	}
	if err := tx.Commit(); err != nil {
		return Instance{}, fmt.Errorf("create instance %q: commit: %w", in.Name, err)
	}
	in.CreatedAt, in.UpdatedAt = parseTime(ts), parseTime(ts)
	in.Watchdog = true // the column's default: a new instance has the watchdog on
	in.UnhealthyAt, in.UnhealthyReason = time.Time{}, ""
	return in, nil
}

// InstanceByName returns one instance; a missing one wraps ErrNotFound.
func (s *Store) InstanceByName(ctx context.Context, name string) (Instance, error) {
	in, err := scanInstance(s.db.QueryRowContext(ctx, `SELECT `+instanceColumns+` FROM instances WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return Instance{}, fmt.Errorf("instance %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return Instance{}, fmt.Errorf("instance %q: %w", name, err)
	}
	return in, nil
}

// ListInstances returns every instance ordered by name.
func (s *Store) ListInstances(ctx context.Context) ([]Instance, error) {
	return s.queryInstances(ctx, `SELECT `+instanceColumns+` FROM instances ORDER BY name`)
}

// InstancesByOwner returns the instances a user owns, ordered by name.
func (s *Store) InstancesByOwner(ctx context.Context, ownerID int64) ([]Instance, error) {
	return s.queryInstances(ctx, `SELECT `+instanceColumns+` FROM instances WHERE owner_id = ? ORDER BY name`, ownerID)
}

func (s *Store) queryInstances(ctx context.Context, query string, args ...any) ([]Instance, error) {
	return queryAll(ctx, s.db, "list instances", scanInstance, query, args...)
}

// UsedPorts returns the ports of every instance.
func (s *Store) UsedPorts(ctx context.Context) (map[int]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT port, name FROM instances`)
	if err != nil {
		return nil, fmt.Errorf("list ports: %w", err)
	}
	defer rows.Close()
	ports := map[int]string{}
	for rows.Next() {
		var (
			port int
			name string
		)
		if err := rows.Scan(&port, &name); err != nil {
			return nil, fmt.Errorf("list ports: %w", err)
		}
		ports[port] = name
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list ports: %w", err)
	}
	return ports, nil
}

// UpdateInstance stores in's owner, port, layers, args and watchdog setting (the name selects
// the row; the RCON password, want_running and created_at are kept) and
// returns the row as stored. A port taken by another instance wraps
// ErrPortConflict; a missing instance ErrNotFound.
func (s *Store) UpdateInstance(ctx context.Context, in Instance) (Instance, error) {
	layers, err := encodeList(in.Layers)
	if err != nil {
		return Instance{}, fmt.Errorf("update instance %q: %w", in.Name, err)
	}
	args, err := encodeList(in.Args)
	if err != nil {
		return Instance{}, fmt.Errorf("update instance %q: %w", in.Name, err)
	}
	res, err := s.db.ExecContext(ctx,
		`UPDATE instances SET owner_id = ?, port = ?, layers = ?, args = ?, watchdog = ?, updated_at = ? WHERE name = ?`,
		in.OwnerID, in.Port, layers, args, in.Watchdog, now(), in.Name)
	if err != nil {
		if c := instanceConstraint(err); c != nil {
			return Instance{}, fmt.Errorf("update instance %q: %w", in.Name, c)
		}
		return Instance{}, fmt.Errorf("update instance %q: %w", in.Name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Instance{}, fmt.Errorf("update instance %q: %w", in.Name, ErrNotFound)
	}
	return s.InstanceByName(ctx, in.Name)
}

// SetWantRunning records whether the instance should run (and be started at
// boot, docs/lifecycle.md rule 9).
func (s *Store) SetWantRunning(ctx context.Context, name string, want bool) error {
	res, err := s.db.ExecContext(ctx,
		`UPDATE instances SET want_running = ?, updated_at = ? WHERE name = ?`, want, now(), name)
	if err != nil {
		return fmt.Errorf("set want_running of %q: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("set want_running of %q: %w", name, ErrNotFound)
	}
	return nil
}

// DeleteInstance removes an instance's row together with its shares, RCON
// history and events. A missing instance wraps ErrNotFound.
func (s *Store) DeleteInstance(ctx context.Context, name string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM instances WHERE name = ?`, name)
	if err != nil {
		return fmt.Errorf("delete instance %q: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("delete instance %q: %w", name, ErrNotFound)
	}
	return nil
}

// SetRCONPassword replaces an instance's RCON password.
func (s *Store) SetRCONPassword(ctx context.Context, name, password string) error {
	res, err := s.db.ExecContext(ctx,
		`UPDATE instances SET rcon_password = ?, updated_at = ? WHERE name = ?`, password, now(), name)
	if err != nil {
		return fmt.Errorf("set the RCON password of instance %q: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("set the RCON password of instance %q: %w", name, ErrNotFound)
	}
	return nil
}

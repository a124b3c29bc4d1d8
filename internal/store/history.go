package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// InstanceSample is one row of an instance's history (migration 00016): what
// the instance was doing over Span from At. Humans and Bots are the most
// seen in the span, CPUMilli and MemBytes the mean (-1: unknown), State and
// Map the last seen.
type InstanceSample struct {
	Instance string
	At       time.Time
	Span     time.Duration
	State    string
	Map      string
	Humans   int
	Bots     int
	CPUMilli int64 // thousandths of one core
	MemBytes int64
}

// HostSample is one row of the host's history: players and running servers
// across every instance, their summed CPU and memory, the load average in
// hundredths and the host's memory in use and total (-1: unknown).
type HostSample struct {
	At        time.Time
	Span      time.Duration
	Humans    int
	Bots      int
	Running   int
	CPUMilli  int64
	MemBytes  int64
	LoadCenti int64
	HostUsed  int64
	HostTotal int64
}

func spanSeconds(d time.Duration) int64 {
	if s := int64(d / time.Second); s > 0 {
		return s
	}
	return 1
}

// AddSamples records one sampling round: the host's row and a row per
// instance, in one transaction. A sample of an instance deleted meanwhile
// is dropped; one at a moment already recorded replaces it.
func (s *Store) AddSamples(ctx context.Context, host HostSample, insts []InstanceSample) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("record history samples: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO host_samples
		(at, span, humans, bots, running, cpu_milli, mem_bytes, load_centi, host_used, host_total)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		host.At.Unix(), spanSeconds(host.Span), host.Humans, host.Bots, host.Running, host.CPUMilli,
		host.MemBytes, host.LoadCenti, host.HostUsed, host.HostTotal); err != nil {
		return fmt.Errorf("record the host's history sample: %w", err)
	}
	if err := insertInstanceSamples(ctx, tx, insts); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("record history samples: %w", err)
	}
	return nil
}

func insertInstanceSamples(ctx context.Context, tx *sql.Tx, insts []InstanceSample) error {
	if len(insts) == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT OR REPLACE INTO instance_samples
		(instance, at, span, state, map, humans, bots, cpu_milli, mem_bytes)
		SELECT ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM instances WHERE name = ?)`)
	if err != nil {
		return fmt.Errorf("record instance history samples: %w", err)
	}
	defer stmt.Close()
	for _, in := range insts {
		if _, err := stmt.ExecContext(ctx, in.Instance, in.At.Unix(), spanSeconds(in.Span), in.State, in.Map,
			in.Humans, in.Bots, in.CPUMilli, in.MemBytes, in.Instance); err != nil {
			return fmt.Errorf("record the history sample of %q: %w", in.Instance, err)
		}
	}
	return nil
}

// InstanceSamples returns an instance's rows with from <= At < to, oldest
// first.
func (s *Store) InstanceSamples(ctx context.Context, name string, from, to time.Time) ([]InstanceSample, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT instance, at, span, state, map, humans, bots, cpu_milli, mem_bytes
		FROM instance_samples WHERE instance = ? AND at >= ? AND at < ? ORDER BY at`, name, from.Unix(), to.Unix())
	if err != nil {
		return nil, fmt.Errorf("read the history of %q: %w", name, err)
	}
	out, err := scanInstanceSamples(rows)
	if err != nil {
		return nil, fmt.Errorf("read the history of %q: %w", name, err)
	}
	return out, nil
}

func scanInstanceSamples(rows *sql.Rows) ([]InstanceSample, error) {
	defer rows.Close()
	var out []InstanceSample
	for rows.Next() {
		var x InstanceSample
		var at, span int64
		if err := rows.Scan(&x.Instance, &at, &span, &x.State, &x.Map, &x.Humans, &x.Bots, &x.CPUMilli, &x.MemBytes); err != nil {
			return nil, err
		}
		x.At, x.Span = time.Unix(at, 0).UTC(), time.Duration(span)*time.Second
		out = append(out, x)
	}
	return out, rows.Err()
}

// HostSamples returns the host's rows with from <= At < to, oldest first.
func (s *Store) HostSamples(ctx context.Context, from, to time.Time) ([]HostSample, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT at, span, humans, bots, running, cpu_milli, mem_bytes, load_centi, host_used, host_total
		FROM host_samples WHERE at >= ? AND at < ? ORDER BY at`, from.Unix(), to.Unix())
	if err != nil {
		return nil, fmt.Errorf("read the host's history: %w", err)
	}
	out, err := scanHostSamples(rows)
	if err != nil {
		return nil, fmt.Errorf("read the host's history: %w", err)
	}
	return out, nil
}

func scanHostSamples(rows *sql.Rows) ([]HostSample, error) {
	defer rows.Close()
	var out []HostSample
	for rows.Next() {
		var x HostSample
		var at, span int64
		if err := rows.Scan(&at, &span, &x.Humans, &x.Bots, &x.Running, &x.CPUMilli, &x.MemBytes, &x.LoadCenti, &x.HostUsed, &x.HostTotal); err != nil {
			return nil, err
		}
		x.At, x.Span = time.Unix(at, 0).UTC(), time.Duration(span)*time.Second
		out = append(out, x)
	}
	return out, rows.Err()
}

// CompactHistory merges the rows shorter than bucket with from <= At <
// before into one row per bucket (the time aligned to bucket) and returns
// how many rows it merged. before should be aligned to bucket, so that no
// bucket is merged twice. Humans and bots keep their peak, CPU and memory
// their mean over the known values, state and map the last.
func (s *Store) CompactHistory(ctx context.Context, from, before time.Time, bucket time.Duration) (int, error) {
	b := spanSeconds(bucket)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("compact history: %w", err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT instance, at, span, state, map, humans, bots, cpu_milli, mem_bytes
		FROM instance_samples WHERE instance IN (SELECT name FROM instances) AND at >= ? AND at < ? AND span < ?
		ORDER BY instance, at`, from.Unix(), before.Unix(), b)
	if err != nil {
		return 0, fmt.Errorf("compact history: %w", err)
	}
	raw, err := scanInstanceSamples(rows)
	if err != nil {
		return 0, fmt.Errorf("compact history: %w", err)
	}
	var merged []InstanceSample
	for _, x := range raw {
		at := time.Unix(x.At.Unix()/b*b, 0).UTC()
		if n := len(merged); n > 0 && merged[n-1].Instance == x.Instance && merged[n-1].At.Equal(at) {
			continue
		}
		merged = append(merged, InstanceSample{Instance: x.Instance, At: at, Span: bucket})
	}
	mergeInstanceBuckets(raw, merged, b)
	if _, err := tx.ExecContext(ctx, `DELETE FROM instance_samples
		WHERE instance IN (SELECT name FROM instances) AND at >= ? AND at < ? AND span < ?`, from.Unix(), before.Unix(), b); err != nil {
		return 0, fmt.Errorf("compact history: %w", err)
	}
	if err := insertInstanceSamples(ctx, tx, merged); err != nil {
		return 0, fmt.Errorf("compact history: %w", err)
	}

	hrows, err := tx.QueryContext(ctx, `SELECT at, span, humans, bots, running, cpu_milli, mem_bytes, load_centi, host_used, host_total
		FROM host_samples WHERE at >= ? AND at < ? AND span < ? ORDER BY at`, from.Unix(), before.Unix(), b)
	if err != nil {
		return 0, fmt.Errorf("compact history: %w", err)
	}
	hraw, err := scanHostSamples(hrows)
	if err != nil {
		return 0, fmt.Errorf("compact history: %w", err)
	}
	hmerged := mergeHostBuckets(hraw, b, bucket)
	if _, err := tx.ExecContext(ctx, `DELETE FROM host_samples WHERE at >= ? AND at < ? AND span < ?`,
		from.Unix(), before.Unix(), b); err != nil {
		return 0, fmt.Errorf("compact history: %w", err)
	}
	for _, h := range hmerged {
		if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO host_samples
			(at, span, humans, bots, running, cpu_milli, mem_bytes, load_centi, host_used, host_total)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			h.At.Unix(), spanSeconds(h.Span), h.Humans, h.Bots, h.Running, h.CPUMilli, h.MemBytes, h.LoadCenti, h.HostUsed, h.HostTotal); err != nil {
			return 0, fmt.Errorf("compact history: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("compact history: %w", err)
	}
	return len(raw) + len(hraw), nil
}

// mean accumulates the known (non-negative) values of a column.
type mean struct{ sum, n int64 }

func (m *mean) add(v int64) {
	if v >= 0 {
		m.sum += v
		m.n++
	}
}

func (m mean) value() int64 {
	if m.n == 0 {
		return -1
	}
	return m.sum / m.n
}

// mergeInstanceBuckets fills merged (one entry per instance and bucket, in
// raw's order) from raw.
func mergeInstanceBuckets(raw, merged []InstanceSample, b int64) {
	j := -1
	var cpu, mem mean
	flush := func() {
		if j >= 0 {
			merged[j].CPUMilli, merged[j].MemBytes = cpu.value(), mem.value()
		}
		cpu, mem = mean{}, mean{}
	}
	for _, x := range raw {
		at := x.At.Unix() / b * b
		if j < 0 || merged[j].Instance != x.Instance || merged[j].At.Unix() != at {
			flush()
			j++
		}
		m := &merged[j]
		m.Humans, m.Bots = max(m.Humans, x.Humans), max(m.Bots, x.Bots)
		m.State, m.Map = x.State, x.Map
		cpu.add(x.CPUMilli)
		mem.add(x.MemBytes)
	}
	flush()
}

// mergeHostBuckets merges the host's rows (oldest first) into one per bucket.
func mergeHostBuckets(raw []HostSample, b int64, bucket time.Duration) []HostSample {
	var out []HostSample
	var cpu, mem, load, used, total mean
	flush := func() {
		if n := len(out); n > 0 {
			h := &out[n-1]
			h.CPUMilli, h.MemBytes, h.LoadCenti, h.HostUsed, h.HostTotal = cpu.value(), mem.value(), load.value(), used.value(), total.value()
		}
		cpu, mem, load, used, total = mean{}, mean{}, mean{}, mean{}, mean{}
	}
	for _, x := range raw {
		at := x.At.Unix() / b * b
		if n := len(out); n == 0 || out[n-1].At.Unix() != at {
			flush()
			out = append(out, HostSample{At: time.Unix(at, 0).UTC(), Span: bucket})
		}
		h := &out[len(out)-1]
		h.Humans, h.Bots, h.Running = max(h.Humans, x.Humans), max(h.Bots, x.Bots), max(h.Running, x.Running)
		cpu.add(x.CPUMilli)
		mem.add(x.MemBytes)
		load.add(x.LoadCenti)
		used.add(x.HostUsed)
		total.add(x.HostTotal)
	}
	flush()
	return out
}

// PruneHistory deletes the rows older than before and returns how many.
func (s *Store) PruneHistory(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM instance_samples WHERE instance IN (SELECT name FROM instances) AND at < ?`, before.Unix())
	if err != nil {
		return 0, fmt.Errorf("prune history: %w", err)
	}
	n, _ := res.RowsAffected()
	res, err = s.db.ExecContext(ctx, `DELETE FROM host_samples WHERE at < ?`, before.Unix())
	if err != nil {
		return 0, fmt.Errorf("prune history: %w", err)
	}
	m, _ := res.RowsAffected()
	return n + m, nil
}

// SizeBytes is the database's size: its page count times its page size.
func (s *Store) SizeBytes(ctx context.Context) (int64, error) {
	var pages, size int64
	if err := s.db.QueryRowContext(ctx, `PRAGMA page_count`).Scan(&pages); err != nil {
		return 0, fmt.Errorf("database size: %w", err)
	}
	if err := s.db.QueryRowContext(ctx, `PRAGMA page_size`).Scan(&size); err != nil {
		return 0, fmt.Errorf("database size: %w", err)
	}
	return pages * size, nil
}

package history

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// fillMonth writes what the sampler and its upkeep leave after 30 days of
// n running instances: 48 hours of 30-second rows and 28 days of 5-minute
// rows each, with the host's rows, and returns the database's size after a
// VACUUM (the size the rows need, not what deletions left free).
func fillMonth(tb testing.TB, n int) (bytes int64, rows int) {
	tb.Helper()
	var names []string
	for i := range n {
		names = append(names, fmt.Sprintf("server%03d", i))
	}
	st, _ := openStore(tb, names...)
	ctx := context.Background()
	base, err := st.SizeBytes(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	var stamps []struct {
		at   time.Time
		span time.Duration
	}
	for at := now.Add(-Retention).Truncate(Bucket); at.Before(now.Add(-RawFor)); at = at.Add(Bucket) {
		stamps = append(stamps, struct {
			at   time.Time
			span time.Duration
		}{at, Bucket})
	}
	for at := now.Add(-RawFor); at.Before(now); at = at.Add(Interval) {
		stamps = append(stamps, struct {
			at   time.Time
			span time.Duration
		}{at, Interval})
	}
	maps := []string{"c1m1_hotel", "c2m1_highway", "c5m3_cemetery", "c8m2_subway", "c14m2_lighthouse"}
	db := st.DB()
	const perTx = 500
	for i := 0; i < len(stamps); i += perTx {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			tb.Fatal(err)
		}
		ins, err := tx.PrepareContext(ctx, `INSERT INTO instance_samples (instance, at, span, state, map, humans, bots, cpu_milli, mem_bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			tb.Fatal(err)
		}
		host, err := tx.PrepareContext(ctx, `INSERT INTO host_samples (at, span, humans, bots, running, cpu_milli, mem_bytes, load_centi, host_used, host_total) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			tb.Fatal(err)
		}
		for _, s := range stamps[i:min(i+perTx, len(stamps))] {
			for j, name := range names {
				k := int(s.at.Unix()/3600) + j
				if _, err := ins.ExecContext(ctx, name, s.at.Unix(), int64(s.span/time.Second), "running", maps[k%len(maps)],
					k%9, 4-k%5, 50+int64(k%700), 700<<20+int64(k%4096)*4096); err != nil {
					tb.Fatal(err)
				}
				rows++
			}
			if _, err := host.ExecContext(ctx, s.at.Unix(), int64(s.span/time.Second), 4*n, 2*n, n, 30000, int64(n)*700<<20,
				250, 60<<30, 64<<30); err != nil {
				tb.Fatal(err)
			}
		}
		ins.Close()
		host.Close()
		if err := tx.Commit(); err != nil {
			tb.Fatal(err)
		}
	}
	if _, err := db.ExecContext(ctx, `VACUUM`); err != nil {
		tb.Fatal(err)
	}
	size, err := st.SizeBytes(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	return size - base, rows
}

// TestHistorySizeIsBounded: a month of one instance's history takes under
// 1.5 MiB with the host's rows (about 14,000 rows of each); BenchmarkHistorySize measures 100 instances.
func TestHistorySizeIsBounded(t *testing.T) {
	bytes, rows := fillMonth(t, 1)
	if want := 13824; rows != want {
		t.Errorf("a month is %d rows per instance; want %d (48 h every 30 s, 28 days every 5 min)", rows, want)
	}
	t.Logf("one instance, 30 days: %d rows, %d bytes (%.1f per row)", rows, bytes, float64(bytes)/float64(rows))
	if bytes > 3<<19 {
		t.Errorf("a month of one instance's history is %d bytes; want under 1.5 MiB", bytes)
	}
}

// BenchmarkHistorySize fills 30 days of 100 instances and reports the
// bytes the history needs (go test -run - -bench HistorySize -benchtime 1x).
func BenchmarkHistorySize(b *testing.B) {
	for b.Loop() {
		bytes, rows := fillMonth(b, 100)
		b.ReportMetric(float64(bytes), "bytes")
		b.ReportMetric(float64(bytes)/(1<<20), "MiB")
		b.ReportMetric(float64(rows), "instance-rows")
		b.ReportMetric(float64(bytes)/float64(rows), "bytes/row")
	}
}

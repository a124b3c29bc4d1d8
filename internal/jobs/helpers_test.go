package jobs

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/store"
)

// kindRefresh is a kind the uniqueness tests enqueue, shaped like the
// daily Workshop refresh (which the workshop package owns).
const kindRefresh = "workshop_refresh"

// testConfig keeps every interval small so tests finish quickly.
func testConfig() Config {
	return Config{
		Workers:       4,
		MaxAttempts:   5,
		RetryBase:     10 * time.Millisecond,
		RetryMax:      50 * time.Millisecond,
		Heartbeat:     100 * time.Millisecond,
		OrphanAfter:   2 * time.Second,
		RescueGrace:   2 * time.Second,
		FlushInterval: 20 * time.Millisecond,
		PollInterval:  50 * time.Millisecond,
	}
}

func openStore(path string) (*store.Store, error) {
	return store.Open(context.Background(), path)
}

// openDB opens a fresh store database (its migrations make job_progress).
func openDB(t *testing.T, path string) *store.Store {
	t.Helper()
	st, err := openStore(path)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func testLogger(t *testing.T) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// newManager returns a stopped Manager on a fresh database.
func newManager(t *testing.T, cfg Config) *Manager {
	t.Helper()
	st := openDB(t, filepath.Join(t.TempDir(), "left4me.db"))
	m, err := New(context.Background(), st.DB(), cfg, testLogger(t))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return m
}

// start starts m and stops it at the end of the test.
func start(t *testing.T, m *Manager) {
	t.Helper()
	if err := m.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := m.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
}

// waitFor polls job id until cond holds; it fails the test after a
// generous deadline (a guard against hanging, not a timing assertion).
func waitFor(t *testing.T, m *Manager, id int64, what string, cond func(Job) bool) Job {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	var j Job
	var err error
	for time.Now().Before(deadline) {
		j, err = m.Get(context.Background(), id)
		if err == nil && cond(j) {
			return j
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("job %d never became %s: last %+v (err %v)", id, what, j, err)
	return j
}

func waitState(t *testing.T, m *Manager, id int64, s State) Job {
	t.Helper()
	return waitFor(t, m, id, string(s), func(j Job) bool { return j.State == s })
}

package audit

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/store"
)

// TestRecordAndPrune: Record files an instance target for its owner's
// view; Prune drops what is older than the retention and keeps the rest.
func TestRecordAndPrune(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "left4me.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	l := New(st, Config{Retention: 30 * 24 * time.Hour, Now: func() time.Time { return now }})
	l.Write(ctx, store.AuditEntry{At: now.AddDate(0, 0, -31), Actor: "old", Action: "x"})
	l.Write(ctx, store.AuditEntry{At: now.AddDate(0, 0, -29), Actor: "recent", Action: "x"})
	l.Record(ctx, "watchdog", "instances.restart", "vs1", "frozen for 60s", nil)
	l.Record(ctx, "schedule", "instances.restart", "instance:vs2", "", errors.New("unit failed"))
	es, err := l.List(ctx, store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 4 || es[0].Instance != "vs2" || es[0].Result != "unit failed" || es[1].Instance != "vs1" || es[1].Result != "" {
		t.Fatalf("entries %+v", es)
	}
	line, err := l.Prune(ctx)
	if err != nil || !strings.Contains(line, "pruned 1 ") {
		t.Fatalf("prune: %q, %v", line, err)
	}
	es, _ = l.List(ctx, store.AuditFilter{})
	for _, e := range es {
		if e.Actor == "old" {
			t.Error("the entry older than the retention was kept")
		}
	}
	if len(es) != 3 {
		t.Errorf("%d entries after the prune, want 3", len(es))
	}
}

// TestSummaryKeepsSecretsOut: secret fields, texts and URLs are summarised
// without their values.
func TestSummaryKeepsSecretsOut(t *testing.T) {
	got := Summary(map[string][]string{
		"password": {"p4ss"}, "rcon_password": {"r"}, "api_token": {"t"}, "csrf_token": {"c"},
		"server_cfg": {"hostname a\nrcon_password x\n"}, "url": {"https://discord.com/api/webhooks/1/TOKEN"},
		"port": {"27015"},
	})
	want := "api_token=(secret), password=(secret), port=27015, rcon_password=(secret), server_cfg=(2 lines), url=https://discord.com/…"
	if got != want {
		t.Errorf("Summary = %q, want %q", got, want)
	}
}

package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/store"
	"github.com/left4me/left4me/internal/views"
)

// TestInstanceHistoryCLI: instance history prints the samples the panel
// recorded as a table or as the API's JSON; a bad --since or --step, or a
// range of years, exits non-zero naming the flag; an unknown instance is
// refused.
func TestInstanceHistoryCLI(t *testing.T) {
	f := newCLIFixture(t)
	f.must(t, "Account-pass-42\n", "user", "create", "alice", "--admin")
	f.must(t, "", "instance", "create", "vs1", "--owner", "alice")
	if out := f.must(t, "", "instance", "history", "vs1"); !strings.Contains(out, "No history of vs1") {
		t.Errorf("history without samples:\n%s", out)
	}
	dbPath := strings.TrimPrefix(f.env["DATABASE_URL"], "sqlite://")
	st, err := store.Open(context.Background(), filepath.Clean(dbPath))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for at := now.Add(-2 * time.Hour); at.Before(now); at = at.Add(30 * time.Second) {
		if err := st.AddSamples(context.Background(), store.HostSample{At: at, Span: 30 * time.Second},
			[]store.InstanceSample{{Instance: "vs1", At: at, Span: 30 * time.Second, State: "running", Map: "c3m1_plankcountry",
				Humans: 3, Bots: 1, CPUMilli: 250, MemBytes: 300 << 20}}); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()

	out := f.must(t, "", "instance", "history", "vs1", "--since", "1h", "--step", "10m")
	if !strings.Contains(out, "c3m1_plankcountry") || !strings.Contains(out, "25.0%") || !strings.Contains(out, "HUMANS") {
		t.Errorf("history table:\n%s", out)
	}
	var h views.History
	if err := json.Unmarshal([]byte(f.must(t, "", "instance", "history", "vs1", "--since", "3h", "--json")), &h); err != nil {
		t.Fatal(err)
	}
	if h.Instance != "vs1" || h.StepSeconds != 60 || len(h.Points) < 100 || h.Points[0].Humans != 3 || h.Points[0].MemoryBytes != 300<<20 {
		t.Errorf("history --json: step %d, %d points, first %+v", h.StepSeconds, len(h.Points), h.Points[0])
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--since", "400d"}, "since:"},
		{[]string{"--since", "-1h"}, "since:"},
		{[]string{"--since", "soon"}, "since:"},
		{[]string{"--since", "1h", "--step", "1s"}, "step:"},
		{[]string{"--step", "fast"}, "--step"},
	} {
		code, _, errOut := f.run(t, "", append([]string{"instance", "history", "vs1"}, c.args...)...)
		if code == 0 || !strings.Contains(errOut, c.want) {
			t.Errorf("history %v: exit %d, want non-zero naming %s:\n%s", c.args, code, c.want, errOut)
		}
	}
	if code, _, errOut := f.run(t, "", "instance", "history", "nope"); code == 0 || !strings.Contains(errOut, "nope") {
		t.Errorf("history of an unknown instance: exit %d\n%s", code, errOut)
	}
}

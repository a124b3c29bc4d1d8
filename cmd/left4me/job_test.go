package main

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/left4me/left4me/internal/jobs"
)

// enqueueTestJob adds a job through the app, as a handler package would.
func enqueueTestJob(t *testing.T, f *cliFixture, kind string, args any, userID int64) int64 {
	t.Helper()
	ctx := context.Background()
	cfg, err := loadConfig(envFunc(f.env))
	if err != nil {
		t.Fatal(err)
	}
	a, err := openApp(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close(ctx)
	id, _, err := a.jobs.Enqueue(ctx, kind, args, jobs.EnqueueOpts{UserID: userID})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestJobCommands(t *testing.T) {
	f := newCLIFixture(t)
	f.env[adminPasswordEnv] = "password-one"
	f.must(t, "", "user", "create", "alice", "--admin")
	first := enqueueTestJob(t, f, "install", map[string]string{"branch": "public"}, 1)
	second := enqueueTestJob(t, f, "workshop_download", map[string]any{"layer": "maps"}, 0)

	var list []jobs.Job
	if err := json.Unmarshal([]byte(f.must(t, "", "job", "list", "--json")), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != second || list[1].ID != first || list[1].State != jobs.StateQueued || list[1].UserID != 1 {
		t.Fatalf("job list --json = %+v", list)
	}
	out := f.must(t, "", "job", "list")
	if !strings.Contains(out, "install") || !strings.Contains(out, "alice") || !strings.Contains(out, "system") {
		t.Errorf("job list:\n%s", out)
	}
	out = f.must(t, "", "job", "show", strconv.FormatInt(first, 10))
	for _, want := range []string{"kind:", "install", "queued", `{"branch":"public"}`, "alice", "log:"} {
		if !strings.Contains(out, want) {
			t.Errorf("job show lacks %q:\n%s", want, out)
		}
	}
	if out := f.must(t, "", "job", "cancel", strconv.FormatInt(first, 10)); !strings.Contains(out, "cancelled") {
		t.Errorf("job cancel: %q", out)
	}
	var j jobs.Job
	if err := json.Unmarshal([]byte(f.must(t, "", "job", "show", strconv.FormatInt(first, 10), "--json")), &j); err != nil {
		t.Fatal(err)
	}
	if j.State != jobs.StateCancelled || j.FinishedAt.IsZero() {
		t.Errorf("after cancel: %+v", j)
	}
	if err := json.Unmarshal([]byte(f.must(t, "", "job", "list", "--state", "queued", "--json")), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].ID != second {
		t.Errorf("job list --state queued = %+v", list)
	}
	if out := f.must(t, "", "job", "list", "--state", "running", "--json"); strings.TrimSpace(out) != "[]" {
		t.Errorf("empty list JSON = %q", out)
	}

	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"job"}, 2, "missing subcommand"},
		{[]string{"job", "pause", "1"}, 2, "unknown subcommand"},
		{[]string{"job", "list", "--state", "stuck"}, 2, "unknown job state"},
		{[]string{"job", "list", "--limit", "0"}, 2, "--limit"},
		{[]string{"job", "show"}, 2, "want 1 argument"},
		{[]string{"job", "show", "abc"}, 2, "positive number"},
		{[]string{"job", "show", "999"}, 1, "job not found"},
		{[]string{"job", "cancel", "999"}, 1, "job not found"},
	}
	for _, tc := range tests {
		code, _, errOut := f.run(t, "", tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.msg) {
			t.Errorf("left4me %s: exit %d, stderr %q; want %d and %q", strings.Join(tc.args, " "), code, errOut, tc.code, tc.msg)
		}
	}
}

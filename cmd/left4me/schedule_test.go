package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/left4me/left4me/internal/jobs"
	"github.com/left4me/left4me/internal/views"
)

// TestScheduleCommands: schedule add, list and remove through the one
// schedule service; bad input names the field, exits 1 and stores nothing.
func TestScheduleCommands(t *testing.T) {
	f := newCLIFixture(t)
	f.env[adminPasswordEnv] = "password-one"
	f.must(t, "", "user", "create", "alice", "--admin")
	f.must(t, "", "instance", "create", "vs1", "--owner", "alice")

	out := f.must(t, "", "schedule", "add", "vs1", "restart", "--daily", "04:00", "--policy", "when-empty", "--max-wait", "30m", "--on-timeout", "skip")
	if !strings.Contains(out, "added schedule 1 of vs1: restart, daily 04:00") || !strings.Contains(out, "up to 30m, then skip") {
		t.Errorf("schedule add: %q", out)
	}
	var v views.Schedule
	if err := json.Unmarshal([]byte(f.must(t, "", "schedule", "add", "vs1", "rcon", "--cron", "0 */6 * * *", "--json", "--", "sm_reloadadmins")), &v); err != nil {
		t.Fatal(err)
	}
	if v.ID != 2 || v.Action != "rcon" || v.Command != "sm_reloadadmins" || v.When != "cron 0 */6 * * *" || v.Policy != "now" || v.NextRun.IsZero() {
		t.Errorf("schedule add --json: %+v", v)
	}
	f.must(t, "", "schedule", "add", "vs1", "stop", "--weekly", "sun 05:30", "--policy", "warn")

	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"schedule", "add", "vs1", "restart", "--cron", "0 4 * *"}, 1, "left4me schedule add: when: cron expression"},
		{[]string{"schedule", "add", "vs1", "reboot", "--daily", "04:00"}, 1, `left4me schedule add: action: unknown action "reboot"`},
		{[]string{"schedule", "add", "vs1", "restart", "--daily", "04:00", "--max-wait", "-5m"}, 1, "left4me schedule add: max_wait: -5m is negative"},
		{[]string{"schedule", "add", "vs1", "restart", "--daily", "04:00", "--policy", "soon"}, 1, `left4me schedule add: policy: unknown policy "soon"`},
		{[]string{"schedule", "add", "vs1", "restart", "--daily", "25:00"}, 1, "left4me schedule add: when:"},
		{[]string{"schedule", "add", "vs1", "restart"}, 2, "give one of --when, --daily, --weekly and --cron"},
		{[]string{"schedule", "add", "vs1", "restart", "--daily", "04:00", "--cron", "0 4 * * *"}, 2, "give one of"},
		{[]string{"schedule", "add", "nope", "restart", "--daily", "04:00"}, 1, "not found"},
		{[]string{"schedule", "remove", "vs1", "99"}, 1, "schedule not found"},
		{[]string{"schedule", "remove", "vs1", "x"}, 2, "schedule id"},
		{[]string{"schedule", "list", "nope"}, 1, "not found"},
	}
	for _, tc := range tests {
		code, _, errOut := f.run(t, "", tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.msg) {
			t.Errorf("left4me %s: exit %d, stderr %q; want %d and %q", strings.Join(tc.args, " "), code, errOut, tc.code, tc.msg)
		}
	}

	var list []views.Schedule
	if err := json.Unmarshal([]byte(f.must(t, "", "schedule", "list", "vs1", "--json")), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 || list[2].When != "weekly sun 05:30" || list[2].Policy != "warn" {
		t.Fatalf("schedule list --json after bad input = %+v, want the three added", list)
	}
	out = f.must(t, "", "schedule", "list")
	if !strings.Contains(out, "restart") || !strings.Contains(out, `rcon "sm_reloadadmins"`) || !strings.Contains(out, "when-empty (30m, then skip)") {
		t.Errorf("schedule list:\n%s", out)
	}
	if out := f.must(t, "", "schedule", "remove", "vs1", "1"); !strings.Contains(out, "removed schedule 1 of vs1") {
		t.Errorf("schedule remove: %q", out)
	}
	if err := json.Unmarshal([]byte(f.must(t, "", "schedule", "list", "--json")), &list); err != nil || len(list) != 2 {
		t.Fatalf("after remove: %+v (%v)", list, err)
	}

	// The rolling restart is a job of the panel now.
	out = f.must(t, "", "instance", "restart-stale", "--parallel", "2")
	if !strings.Contains(out, "rolling restart queued job") {
		t.Errorf("instance restart-stale: %q", out)
	}
	if out := f.must(t, "", "instance", "restart-stale"); !strings.Contains(out, "already queued or running") {
		t.Errorf("second restart-stale: %q", out)
	}
	var jl []jobs.Job
	if err := json.Unmarshal([]byte(f.must(t, "", "job", "list", "--kind", "rolling_restart", "--json")), &jl); err != nil || len(jl) != 1 {
		t.Errorf("rolling restart jobs: %+v (%v)", jl, err)
	}
	if code, _, errOut := f.run(t, "", "instance", "restart-stale", "--max-wait", "-1h"); code != 1 || !strings.Contains(errOut, "max_wait") {
		t.Errorf("restart-stale --max-wait -1h: exit %d %q", code, errOut)
	}
}

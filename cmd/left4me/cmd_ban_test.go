package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/left4me/left4me/internal/views"
)

// TestBanCommands: ban add, list and remove through the one ban service;
// bad input names the field, exits 1 and stores nothing; a stopped
// instance is not pushed to (its next start stages the ban).
func TestBanCommands(t *testing.T) {
	f := newCLIFixture(t)
	f.env[adminPasswordEnv] = "password-one"
	f.must(t, "", "user", "create", "alice", "--admin")
	f.must(t, "", "instance", "create", "vs1", "--owner", "alice")
	f.must(t, "", "instance", "create", "vs2", "--owner", "alice")

	out := f.must(t, "", "ban", "add", "[U:1:85]", "--duration", "7d", "--reason", "griefing")
	if !strings.Contains(out, "added ban 1: STEAM_1:1:42 until ") || !strings.Contains(out, "on vs1, vs2 (griefing)") {
		t.Errorf("ban add: %q", out)
	}
	var ch views.BanChange
	if err := json.Unmarshal([]byte(f.must(t, "", "ban", "add", "STEAM_0:0:7", "--global", "--json")), &ch); err != nil {
		t.Fatal(err)
	}
	if ch.Ban.ID != 2 || ch.Ban.SteamID != "STEAM_1:0:7" || !ch.Ban.Global || !ch.Ban.Permanent || ch.Ban.By != "system" || len(ch.Pushed) != 0 {
		t.Errorf("ban add --global --json: %+v", ch)
	}
	f.must(t, "", "ban", "add", "STEAM_1:0:8", "--instance", "vs2")

	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"ban", "add", "STEAM_1:3:8"}, 1, "left4me ban add: steam_id: "},
		{[]string{"ban", "add", "STEAM_1:0:8", "--duration", "-30m"}, 1, "left4me ban add: duration: \"-30m\" is negative"},
		{[]string{"ban", "add", "STEAM_1:0:8", "--instance", "nope"}, 1, "left4me ban add: instances: no instance named \"nope\""},
		{[]string{"ban", "add", "STEAM_1:0:8", "--reason", "a; quit"}, 1, "left4me ban add: reason: "},
		{[]string{"ban", "add"}, 2, "want 1 argument"},
		{[]string{"ban", "remove", "99"}, 1, "no ban 99"},
		{[]string{"ban", "remove", "x"}, 2, "ban id"},
		{[]string{"instance", "kick", "vs1", "Ellis"}, 1, "player: "},
		{[]string{"instance", "kick", "vs1", "2"}, 1, "not running"},
	}
	for _, tc := range tests {
		code, _, errOut := f.run(t, "", tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.msg) {
			t.Errorf("left4me %s: exit %d, stderr %q; want %d and %q", strings.Join(tc.args, " "), code, errOut, tc.code, tc.msg)
		}
	}

	var list []views.Ban
	if err := json.Unmarshal([]byte(f.must(t, "", "ban", "list", "--json")), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 {
		t.Fatalf("ban list: %+v, want the three good bans", list)
	}
	if out := f.must(t, "", "ban", "list", "griefing"); !strings.Contains(out, "STEAM_1:1:42") || strings.Contains(out, "STEAM_1:0:7") {
		t.Errorf("ban list griefing: %q", out)
	}
	if out := f.must(t, "", "ban", "remove", "1"); !strings.Contains(out, "lifted ban 1: STEAM_1:1:42") {
		t.Errorf("ban remove: %q", out)
	}
	if out := f.must(t, "", "ban", "list"); strings.Contains(out, "STEAM_1:1:42") || !strings.Contains(out, "global") {
		t.Errorf("ban list after remove: %q", out)
	}
}

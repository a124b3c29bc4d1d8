package main

import (
	"strings"
	"testing"
	"time"
)

// TestBanAgainstRunningDemo: with the demo's servers the panel's children,
// ban add, ban remove and instance kick go through the panel, so the ban
// and the kick reach the running server; bad input still names the field.
func TestBanAgainstRunningDemo(t *testing.T) {
	root, _ := startDemo(t)
	cli := &cliFixture{root: root, env: map[string]string{"LEFT4ME_ROOT": root.String()}}
	// The demo's coop server has simulated players from STEAM_1:0:1 on.
	var status string
	for range 100 {
		if status = cli.must(t, "", "instance", "rcon", "coop", "status"); strings.Contains(status, "STEAM_1:0:2") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(status, "STEAM_1:0:1 ") || !strings.Contains(status, "STEAM_1:0:2") {
		t.Fatalf("the demo's coop has not two players:\n%s", status)
	}
	out := cli.must(t, "", "ban", "add", "STEAM_1:0:1", "--reason", "demo ban")
	if !strings.Contains(out, "added ban 1: STEAM_1:0:1 permanently") || !strings.Contains(out, "coop: applied live") {
		t.Errorf("ban add through the demo: %q", out)
	}
	cli.must(t, "", "instance", "kick", "coop", "STEAM_1:0:2", "--reason", "bye")
	if status := cli.must(t, "", "instance", "rcon", "coop", "status"); strings.Contains(status, "STEAM_1:0:1 ") || strings.Contains(status, "STEAM_1:0:2 ") {
		t.Errorf("after ban and kick the players are still on:\n%s", status)
	}
	if code, _, errOut := cli.run(t, "", "ban", "add", "STEAM_9:0:1"); code != 1 || !strings.Contains(errOut, "steam_id: ") {
		t.Errorf("a bad SteamID through the demo: exit %d, %q", code, errOut)
	}
	if out := cli.must(t, "", "ban", "remove", "1"); !strings.Contains(out, "lifted ban 1") || !strings.Contains(out, "coop: applied live") {
		t.Errorf("ban remove through the demo: %q", out)
	}
	if list := cli.must(t, "", "instance", "rcon", "coop", "listid"); strings.Contains(list, "STEAM_1:0:1") {
		t.Errorf("after ban remove coop still bans:\n%s", list)
	}
}

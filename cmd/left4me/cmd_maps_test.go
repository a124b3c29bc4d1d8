package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/store"
	"github.com/left4me/left4me/internal/views"
	"github.com/left4me/left4me/internal/vpk"
)

// TestInstanceMapCLI: `instance maps` lists a layer VPK's campaign with its
// layer; `instance map --next-start` sets +map and +mp_gamemode; bad input
// names its field and changes nothing; `player show` finds a player by any
// form of SteamID and refuses a malformed one.
func TestInstanceMapCLI(t *testing.T) {
	f := newCLIFixture(t)
	f.must(t, "password-one\n", "user", "create", "alice")
	if err := os.MkdirAll(f.root.Installation("1"), 0o755); err != nil {
		t.Fatal(err)
	}
	addons := filepath.Join(f.root.Overlay("maps", "1"), "left4dead2", "addons")
	if err := os.MkdirAll(addons, 0o755); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := vpk.Write(&buf, map[string][]byte{
		"maps/fancy01.bsp":   []byte("x"),
		"missions/fancy.txt": []byte(`"mission" { "Name" "Fancy" "DisplayTitle" "Fancy Campaign" "modes" { "coop" { "1" { "Map" "fancy01" } } } }`),
	}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(addons, "fancy.vpk"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	f.must(t, "", "instance", "create", "vs1", "--owner", "alice", "--layer", "maps", "--", "-tickrate", "100")

	out := f.must(t, "", "instance", "maps", "vs1")
	if !strings.Contains(out, "Fancy [Fancy Campaign] from layer maps (left4dead2/addons/fancy.vpk: missions/fancy.txt): fancy01") ||
		!strings.Contains(out, "c1 [Dead Center] from official") {
		t.Errorf("instance maps:\n%s", out)
	}
	var m views.Maps
	if err := json.Unmarshal([]byte(f.must(t, "", "instance", "maps", "vs1", "--json")), &m); err != nil || len(m.Campaigns) != 15 || m.Campaigns[14].Layer != "maps" {
		t.Errorf("instance maps --json: %+v %v", m, err)
	}
	for _, tt := range []struct {
		args []string
		msg  string
	}{
		{[]string{"c99m1_nowhere", "--next-start"}, "map: vs1 has no map \"c99m1_nowhere\""},
		{[]string{"fancy01", "--next-start", "--mode", "deathmatch"}, "mode: \"deathmatch\" is not a game mode"},
		{[]string{"fancy01", "--next-start", "--mode", "versus"}, "mode: fancy01 is not a versus map of Fancy Campaign"},
		{[]string{"fancy01"}, "when: vs1 is not running"},
	} {
		code, out, errOut := f.run(t, "", append([]string{"instance", "map", "vs1"}, tt.args...)...)
		if code != 1 || !strings.Contains(errOut, tt.msg) || out != "" {
			t.Errorf("instance map %v: exit %d, stdout %q, stderr %q; want exit 1 saying %q", tt.args, code, out, errOut, tt.msg)
		}
	}
	out = f.must(t, "", "instance", "map", "vs1", "fancy01", "--mode", "coop", "--next-start")
	if !strings.Contains(out, "vs1 starts next on fancy01 (from maps); its arguments: -tickrate 100 +map fancy01 +mp_gamemode coop") {
		t.Errorf("instance map --next-start: %s", out)
	}
	if out := f.must(t, "", "instance", "maps", "vs1"); !strings.Contains(out, "next start: fancy01 in coop") {
		t.Errorf("the next start after the change:\n%s", out)
	}

	if code, _, errOut := f.run(t, "", "player", "show", "STEAM_9"); code != 1 || !strings.Contains(errOut, "steamid: \"STEAM_9\" is not a SteamID") {
		t.Errorf("player show STEAM_9: exit %d, %s", code, errOut)
	}
	if code, _, errOut := f.run(t, "", "player", "show", "STEAM_1:0:1"); code != 1 || !strings.Contains(errOut, "no instance has seen STEAM_1:0:1") {
		t.Errorf("player show of an unseen player: exit %d, %s", code, errOut)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, strings.TrimPrefix(f.env["DATABASE_URL"], "sqlite://"))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 30, 20, 0, 0, 0, time.UTC)
	for i, kind := range []string{"connect", "disconnect"} {
		if _, err := st.AddEvent(ctx, store.Event{Instance: "vs1", Kind: kind, Player: "Ellie", SteamID: "STEAM_1:0:1", SteamID64: 76561197960265730, At: at.Add(time.Duration(i) * 90 * time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	for _, id := range []string{"STEAM_1:0:1", "[U:1:2]", "76561197960265730"} {
		out := f.must(t, "", "player", "show", id)
		if !strings.Contains(out, "names: Ellie") || !strings.Contains(out, "total: 1h30m0s") || !strings.Contains(out, "vs1: 1h30m0s in 1 sessions") {
			t.Errorf("player show %s:\n%s", id, out)
		}
	}
}

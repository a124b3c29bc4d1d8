package fakesrcds

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBanID: banid with kick drops a connected player, who cannot join
// again; kickid carries its message; removeid lets the player back; listid
// and writeid show the list; a SteamID split at ':' as the engine's
// tokenizer does is read whole.
func TestBanID(t *testing.T) {
	dir := install(t, nil)
	var out Console
	s := start(t, dir, &out, "+maxplayers", "8")
	s.Exec("fakesrcds_join STEAM_1:1:42 Villain; fakesrcds_join STEAM_1:0:7 Hero")
	if st := s.Exec("status"); !strings.Contains(st, "STEAM_1:1:42") || !strings.Contains(st, "STEAM_1:0:7") {
		t.Fatalf("joined players missing from status:\n%s", st)
	}
	s.Exec(`kickid STEAM_1:0:7 "go to bed"`)
	if st := s.Exec("status"); strings.Contains(st, "STEAM_1:0:7") {
		t.Errorf("kickid by SteamID left the player on:\n%s", st)
	}
	if !strings.Contains(out.String(), "Dropped Hero from server (Kicked by Console : go to bed)") {
		t.Errorf("the kick's reason is not what the player sees:\n%s", out.String())
	}
	s.Exec("banid 0 STEAM_1 : 1 : 42 kick")
	if st := s.Exec("status"); strings.Contains(st, "Villain") {
		t.Errorf("banid ... kick left the player on:\n%s", st)
	}
	if out := s.Exec("fakesrcds_join STEAM_1:1:42 Villain"); !strings.Contains(out, "banned") {
		t.Errorf("a banned SteamID joined: %q", out)
	}
	s.Exec("banid 10 STEAM_1:0:99")
	list := s.Exec("listid")
	if !strings.Contains(list, "ID filter list: 2 entries") || !strings.Contains(list, "1 STEAM_1:1:42 : permanent") || !strings.Contains(list, "2 STEAM_1:0:99 : ") {
		t.Errorf("listid:\n%s", list)
	}
	s.Exec("writeid")
	b, err := os.ReadFile(filepath.Join(dir, "left4dead2", "cfg", "banned_user.cfg"))
	if err != nil || string(b) != "banid 0 STEAM_1:1:42\n" {
		t.Errorf("banned_user.cfg = %q, %v; want only the permanent ban", b, err)
	}
	s.Exec("removeid STEAM_1:1:42")
	s.Exec("fakesrcds_join STEAM_1:1:42 Villain")
	if st := s.Exec("status"); !strings.Contains(st, "Villain") {
		t.Errorf("after removeid the player could not join:\n%s", st)
	}
	if out := s.Exec("removeid STEAM_1:1:42"); !strings.Contains(out, "couldn't find") {
		t.Errorf("removeid of an unbanned id: %q", out)
	}
}

// TestBanSkipsSimulatedPlayer: a banned simulated human stays away; the
// next one joins instead.
func TestBanSkipsSimulatedPlayer(t *testing.T) {
	s := start(t, install(t, nil), nil)
	s.Exec("banid 0 STEAM_1:0:1; fakesrcds_players 1")
	st := s.Exec("status")
	if strings.Contains(st, "STEAM_1:0:1 ") || !strings.Contains(st, "STEAM_1:0:2") {
		t.Errorf("with STEAM_1:0:1 banned, status:\n%s", st)
	}
}

package bans

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/store"
)

// TestBanCfg: the staged cfg has one banid line per player in force, with
// the longest ban's minutes left (permanent wins), and leaves out expired
// bans, so a stopped instance starts without them.
func TestBanCfg(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "left4me.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Now().Truncate(time.Second)
	for _, b := range []store.Ban{
		{SteamID: "STEAM_1:0:5", Global: true, Expires: now.Add(30 * time.Minute), ByName: "system"},
		{SteamID: "STEAM_1:0:5", Global: true, ByName: "system"},
		{SteamID: "STEAM_1:1:6", Global: true, Expires: now.Add(90*time.Minute + 30*time.Second), ByName: "system"},
		{SteamID: "STEAM_1:1:7", Global: true, Expires: now.Add(-time.Minute), ByName: "system"},
	} {
		if _, err := st.AddBan(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	got, err := Stager{Store: st, Now: func() time.Time { return now }}.BanCfg(ctx, "vs1")
	if want := "banid 0 STEAM_1:0:5\nbanid 91 STEAM_1:1:6\n"; err != nil || got != want {
		t.Errorf("BanCfg = %q, %v; want %q", got, err, want)
	}
}

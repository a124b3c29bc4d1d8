package store

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

// TestPlayerHistory: sessions from connect to disconnect on two
// instances, a session left open by a stopped server ended at its last
// sighting, the names used, first and last seen, the total time; the
// instances a caller may not see are left out; bots and the unknown are
// not players.
func TestPlayerHistory(t *testing.T) {
	ctx := context.Background()
	s, _ := openWithInstance(t, "one", "two")
	t0 := time.Date(2026, 11, 29, 20, 0, 0, 0, time.UTC)
	const sid = 76561197960265730 // STEAM_1:0:1
	add := func(inst, kind, name string, at time.Duration, id uint64) {
		t.Helper()
		if _, err := s.AddEvent(ctx, Event{Instance: inst, Kind: kind, Player: name, SteamID: "STEAM_1:0:1", SteamID64: id, Team: "Survivor", At: t0.Add(at)}); err != nil {
			t.Fatal(err)
		}
	}
	add("one", "connect", "Ellie", 0, sid)
	add("one", "entered", "Ellie", time.Minute, sid)
	add("one", "chat", "Ellie", 5*time.Minute, sid)
	add("one", "disconnect", "Ellie", 10*time.Minute, sid)
	// On two: joined, chatted, then the server stopped without a disconnect.
	add("two", "connect", "Ellie", time.Hour, sid)
	add("two", "team_chat", "Ellie (away)", time.Hour+20*time.Minute, sid)
	add("two", "connect", "Ellie", 3*time.Hour, sid)
	add("two", "disconnect", "Ellie", 3*time.Hour+5*time.Minute, sid)
	add("one", "chat", "Coach", 0, 0) // a bot or a line without an id

	h, err := s.Player(ctx, sid, nil)
	if err != nil {
		t.Fatal(err)
	}
	if h.SteamID != "STEAM_1:0:1" || !h.FirstSeen.Equal(t0) || !h.LastSeen.Equal(t0.Add(3*time.Hour+5*time.Minute)) {
		t.Errorf("first/last seen = %v %v", h.FirstSeen, h.LastSeen)
	}
	if h.Total != 10*time.Minute+20*time.Minute+5*time.Minute {
		t.Errorf("total = %v, want 35m", h.Total)
	}
	if !slices.Equal(h.Names, []string{"Ellie", "Ellie (away)"}) {
		t.Errorf("names = %v", h.Names)
	}
	if len(h.Instances) != 2 || h.Instances[0].Instance != "two" || h.Instances[0].Sessions != 2 || h.Instances[1].Total != 10*time.Minute || h.Instances[0].Online {
		t.Errorf("per instance = %+v", h.Instances)
	}
	onlyOne, err := s.Player(ctx, sid, func(inst string) bool { return inst == "one" })
	if err != nil || len(onlyOne.Instances) != 1 || slices.Contains(onlyOne.Names, "Ellie (away)") || onlyOne.Total != 10*time.Minute {
		t.Errorf("filtered to one = %+v %v", onlyOne, err)
	}
	if _, err := s.Player(ctx, sid, func(string) bool { return false }); !errors.Is(err, ErrNotFound) {
		t.Errorf("nothing visible = %v, want ErrNotFound", err)
	}
	if _, err := s.Player(ctx, sid+1, nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("an unknown player = %v, want ErrNotFound", err)
	}
	// The history outlives the event retention.
	for i := 0; i < EventRetention+5; i++ {
		add("one", "map", "", 4*time.Hour, 0)
	}
	if h, err := s.Player(ctx, sid, nil); err != nil || h.Total != 35*time.Minute {
		t.Errorf("after the events were trimmed: %+v %v", h, err)
	}
}

package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// openWithInstance opens a fresh database holding one user and the named
// instances (plain SQL, so these tests do not depend on instances.go).
func openWithInstance(t *testing.T, names ...string) (*Store, User) {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	u, err := s.CreateUser(ctx, "owner", "hash", false)
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range names {
		if _, err := s.DB().ExecContext(ctx, `INSERT INTO instances (name, owner_id, port, rcon_password, created_at, updated_at)
			VALUES (?, ?, ?, 'secret', ?, ?)`, name, u.ID, 27015+i, now(), now()); err != nil {
			t.Fatal(err)
		}
	}
	return s, u
}

func TestEvents(t *testing.T) {
	ctx := context.Background()
	s, _ := openWithInstance(t, "one", "two")
	at := time.Date(2026, 11, 29, 22, 18, 29, 0, time.UTC)
	in := []Event{
		{Instance: "one", Kind: "connect", Player: "Ellis", SteamID: "STEAM_1:0:1", Text: "203.0.113.7:27005", At: at},
		{Instance: "two", Kind: "map", Map: "c2m1_highway", At: at},
		{Instance: "one", Kind: "chat", Player: "Ellis", Text: "hello \"world\"", At: at.Add(time.Second)},
		{Instance: "one", Kind: "disconnect", Player: "Ellis"},
	}
	var ids []int64
	for _, e := range in {
		got, err := s.AddEvent(ctx, e)
		if err != nil {
			t.Fatalf("AddEvent(%+v): %v", e, err)
		}
		ids = append(ids, got.ID)
	}
	tests := []struct {
		name     string
		instance string
		after    int64
		limit    int
		wantIDs  []int64
	}{
		{"all of one", "one", 0, 0, []int64{ids[0], ids[2], ids[3]}},
		{"newest two", "one", 0, 2, []int64{ids[2], ids[3]}},
		{"after first", "one", ids[0], 10, []int64{ids[2], ids[3]}},
		{"after last", "one", ids[3], 10, nil},
		{"other instance", "two", 0, 10, []int64{ids[1]}},
		{"unknown instance", "three", 0, 10, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.ListEvents(ctx, tc.instance, tc.after, tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			var gotIDs []int64
			for _, e := range got {
				gotIDs = append(gotIDs, e.ID)
			}
			if fmt.Sprint(gotIDs) != fmt.Sprint(tc.wantIDs) {
				t.Errorf("ids = %v, want %v", gotIDs, tc.wantIDs)
			}
		})
	}
	got, _ := s.ListEvents(ctx, "one", 0, 0)
	first := got[0]
	if first.Kind != "connect" || first.Player != "Ellis" || first.SteamID != "STEAM_1:0:1" ||
		first.Text != "203.0.113.7:27005" || !first.At.Equal(at) || first.Instance != "one" {
		t.Errorf("first event = %+v", first)
	}
	if got[1].Text != "hello \"world\"" {
		t.Errorf("chat text = %q", got[1].Text)
	}
	if got[2].At.IsZero() {
		t.Errorf("event without time was stored without one")
	}

	if _, err := s.AddEvent(ctx, Event{Instance: "ghost", Kind: "chat"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("event for unknown instance: err = %v, want ErrNotFound", err)
	}
	if _, err := s.AddEvent(ctx, Event{Instance: "one"}); err == nil {
		t.Errorf("event without kind was accepted")
	}
}

func TestEventRetention(t *testing.T) {
	ctx := context.Background()
	s, _ := openWithInstance(t, "one", "two")
	if _, err := s.AddEvent(ctx, Event{Instance: "two", Kind: "map", Map: "c1m1_hotel"}); err != nil {
		t.Fatal(err)
	}
	var last Event
	for i := range EventRetention + 25 {
		var err error
		if last, err = s.AddEvent(ctx, Event{Instance: "one", Kind: "chat", Text: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.ListEvents(ctx, "one", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != EventRetention {
		t.Fatalf("kept %d events, want %d", len(got), EventRetention)
	}
	if got[0].Text != "25" || got[len(got)-1].ID != last.ID {
		t.Errorf("kept events %q..%d, want 25..%d", got[0].Text, got[len(got)-1].ID, last.ID)
	}
	if other, _ := s.ListEvents(ctx, "two", 0, 0); len(other) != 1 {
		t.Errorf("another instance's events were trimmed: %d left", len(other))
	}
}

func TestRCONHistory(t *testing.T) {
	ctx := context.Background()
	s, u := openWithInstance(t, "one", "two")
	if _, err := s.AddRCON(ctx, "one", u.ID, "status", "hostname: x\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddRCON(ctx, "two", u.ID, "sv_cheats 0", ""); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("é", MaxRCONResponse) // two bytes each
	e, err := s.AddRCON(ctx, "one", 0, "cvarlist", long)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Response) > MaxRCONResponse+64 || !strings.HasSuffix(e.Response, "[response truncated]") {
		t.Errorf("long response kept as %d bytes", len(e.Response))
	}
	got, err := s.ListRCON(ctx, "one", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("history has %d entries, want 2", len(got))
	}
	if got[0].Command != "status" || got[0].UserName != "owner" || got[0].UserID != u.ID || got[0].Response != "hostname: x\n" {
		t.Errorf("first entry = %+v", got[0])
	}
	if got[1].Command != "cvarlist" || got[1].UserID != 0 || got[1].UserName != "" || got[1].CreatedAt.IsZero() {
		t.Errorf("second entry = %+v", got[1])
	}
	if one, _ := s.ListRCON(ctx, "one", 1); len(one) != 1 || one[0].Command != "cvarlist" {
		t.Errorf("ListRCON limit 1 = %+v, want the newest", one)
	}
	if _, err := s.AddRCON(ctx, "ghost", u.ID, "status", ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("command for unknown instance: err = %v, want ErrNotFound", err)
	}
	for i := range RCONRetention + 3 {
		if _, err := s.AddRCON(ctx, "two", u.ID, fmt.Sprint("echo ", i), ""); err != nil {
			t.Fatal(err)
		}
	}
	if all, _ := s.ListRCON(ctx, "two", 0); len(all) != RCONRetention || all[0].Command != "echo 3" {
		t.Errorf("after %d commands: %d kept, first %q", RCONRetention+4, len(all), all[0].Command)
	}
}

package bans

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/rcon"
	"github.com/left4me/left4me/internal/store"
)

func TestParseSteamID(t *testing.T) {
	good := map[string]string{
		"STEAM_1:0:12345":   "STEAM_1:0:12345",
		"STEAM_0:1:42":      "STEAM_1:1:42",
		" steam_1:1:42 ":    "STEAM_1:1:42",
		"[U:1:85]":          "STEAM_1:1:42",
		"[u:1:24690]":       "STEAM_1:0:12345",
		"76561197960290418": "STEAM_1:0:12345",
	}
	for in, want := range good {
		if got, err := ParseSteamID(in); err != nil || got != want {
			t.Errorf("ParseSteamID(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "STEAM_1:2:5", "STEAM_1:0", "STEAM_1:0:-5", "[U:2:5]", "[U:1:0]", "STEAM_1:0:0", "Villain",
		"7656119796", "STEAM_1:0:99999999999", "[U:1:99999999999]", "STEAM_1:0:5; quit"} {
		if got, err := ParseSteamID(in); err == nil {
			t.Errorf("ParseSteamID(%q) = %q, want an error", in, got)
		}
	}
}

func TestParseDuration(t *testing.T) {
	good := map[string]time.Duration{
		"": 0, "0": 0, "permanent": 0, "Forever": 0,
		"90": 90 * time.Minute, "30m": 30 * time.Minute, "12h": 12 * time.Hour, "7d": 7 * 24 * time.Hour,
		"1d12h": 36 * time.Hour,
	}
	for in, want := range good {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"-10", "-2h", "-1d", "10s", "soon", "1x", "5000d", "d"} {
		_, err := ParseDuration(in)
		var fe *instance.FieldError
		if !errors.As(err, &fe) || fe.Field != FieldDuration {
			t.Errorf("ParseDuration(%q) = %v, want a FieldError naming duration", in, err)
		}
	}
}

func TestCheckReason(t *testing.T) {
	for _, ok := range []string{"", "griefing", "team killing, twice", "spam: see /rules"} {
		if err := rcon.CheckReason(ok); err != nil {
			t.Errorf("CheckReason(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{`say "hi"`, "a; quit", "see http://x", "two\nlines", strings.Repeat("x", rcon.MaxReason+1)} {
		if err := rcon.CheckReason(bad); err == nil {
			t.Errorf("CheckReason(%q) accepted", bad)
		}
	}
}

func TestCommands(t *testing.T) {
	if got := rcon.BanCommand(0, "STEAM_1:0:5", "griefing"); got != `banid 0 STEAM_1:0:5; kickid STEAM_1:0:5 "Banned: griefing"` {
		t.Errorf("BanCommand = %q", got)
	}
	if got := rcon.KickCommand("7", ""); got != "kickid 7" {
		t.Errorf("KickCommand = %q", got)
	}
	// An operator may kick but not ban (the roles table; rcon/kickban.go).
	if err := rcon.CheckOperator(rcon.KickCommand("STEAM_1:0:5", "afk")); err != nil {
		t.Errorf("an operator may not kick: %v", err)
	}
	if err := rcon.CheckOperator(rcon.BanCommand(5, "STEAM_1:0:5", "")); err == nil {
		t.Error("an operator may send banid")
	}
}

func TestStrongestAndMinutes(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	list := []store.Ban{
		{ID: 1, SteamID: "STEAM_1:0:5", Expires: now.Add(10 * time.Minute)},
		{ID: 2, SteamID: "STEAM_1:0:5", Expires: now.Add(90*time.Minute + time.Second)},
		{ID: 3, SteamID: "STEAM_1:0:6"},
		{ID: 4, SteamID: "STEAM_1:0:6", Expires: now.Add(time.Minute)},
		{ID: 5, SteamID: "STEAM_1:0:7", Expires: now.Add(-time.Minute)},
	}
	if b, ok := strongest(list, "STEAM_1:0:5", now); !ok || b.ID != 2 || minutesLeft(b, now) != 91 {
		t.Errorf("strongest of :5 = %+v, %d minutes", b, minutesLeft(b, now))
	}
	if b, ok := strongest(list, "STEAM_1:0:6", now); !ok || b.ID != 3 || minutesLeft(b, now) != 0 {
		t.Errorf("strongest of :6 = %+v, want the permanent one", b)
	}
	if _, ok := strongest(list, "STEAM_1:0:7", now); ok {
		t.Error("an expired ban counts")
	}
}

package views

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/srcds"

	"github.com/left4me/left4me/internal/store"
)

// PlayerHistory is what the panel knows of one player across the instances the
// caller may see: GET /api/v1/players/STEAMID and left4me player show.
type PlayerHistory struct {
	SteamID   string    `json:"steam_id"`
	SteamID64 string    `json:"steam_id64"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	// TotalSeconds is the time spent on the instances, over every session.
	TotalSeconds int64            `json:"total_seconds"`
	Names        []string         `json:"names"`
	Instances    []PlayerInstance `json:"instances"`
}

// PlayerInstance is a player's history on one instance.
type PlayerInstance struct {
	Instance     string    `json:"instance"`
	FirstSeen    time.Time `json:"first_seen"`
	LastSeen     time.Time `json:"last_seen"`
	TotalSeconds int64     `json:"total_seconds"`
	Sessions     int       `json:"sessions"`
	Online       bool      `json:"online"`
	Names        []string  `json:"names"`
}

// NewPlayerHistory is the view of h.
func NewPlayerHistory(h store.PlayerHistory) PlayerHistory {
	out := PlayerHistory{SteamID: h.SteamID, SteamID64: strconv.FormatUint(h.SteamID64, 10), FirstSeen: h.FirstSeen.UTC(), LastSeen: h.LastSeen.UTC(),
		TotalSeconds: int64(h.Total / time.Second), Names: nonNil(h.Names), Instances: []PlayerInstance{}}
	for _, p := range h.Instances {
		out.Instances = append(out.Instances, PlayerInstance{Instance: p.Instance, FirstSeen: p.FirstSeen.UTC(), LastSeen: p.LastSeen.UTC(),
			TotalSeconds: int64(p.Total / time.Second), Sessions: p.Sessions, Online: p.Online, Names: nonNil(p.Names)})
	}
	return out
}

// FieldSteamID names the player's id in a FieldError: the API's path, the
// panel's search form and the CLI's argument.
const FieldSteamID = "steamid"

// ParsePlayerID reads a SteamID as people paste it: STEAM_X:Y:Z, [U:1:N]
// or the 64-bit number (docs/srcds.md §5).
func ParsePlayerID(text string) (uint64, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return 0, &instance.FieldError{Field: FieldSteamID, Err: errors.New("no SteamID given: use STEAM_1:0:12345, [U:1:24690] or 76561197960290418")}
	}
	id, err := srcds.SteamID64(text)
	if err != nil {
		return 0, &instance.FieldError{Field: FieldSteamID, Err: fmt.Errorf("%q is not a SteamID: use STEAM_1:0:12345, [U:1:24690] or 76561197960290418", text)}
	}
	return id, nil
}

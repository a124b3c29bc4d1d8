package views

import (
	"strings"
	"time"

	"github.com/left4me/left4me/internal/store"
)

// Event is one game event of an instance (a join, a leave, a chat line, a
// map start, a console command) as the API, the panel and the CLI show it.
type Event struct {
	ID      int64     `json:"id"`
	Kind    string    `json:"kind"`
	Player  string    `json:"player,omitempty"`
	SteamID string    `json:"steam_id,omitempty"`
	Text    string    `json:"text,omitempty"`
	Map     string    `json:"map,omitempty"`
	Team    string    `json:"team,omitempty"`
	At      time.Time `json:"at"`
}

// NewEvents makes the views of stored events, in their order.
func NewEvents(evs []store.Event) []Event {
	out := make([]Event, 0, len(evs))
	for _, e := range evs {
		out = append(out, Event{ID: e.ID, Kind: e.Kind, Player: e.Player, SteamID: e.SteamID, Text: e.Text, Map: e.Map, Team: e.Team, At: e.At})
	}
	return out
}

// What is the event in words, as the panel's Events card shows it (the
// page's script writes new ones the same way): the player, the text and
// the map, those it has, separated by a space.
func (e Event) What() string {
	var parts []string
	for _, p := range []string{e.Player, e.Text, e.Map} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, " ")
}

package web

import (
	"net/http"
	"time"

	"github.com/left4me/left4me/internal/store"
)

// eventView is one game event as pages and the API show it.
type eventView struct {
	ID      int64     `json:"id"`
	Kind    string    `json:"kind"`
	Player  string    `json:"player,omitempty"`
	SteamID string    `json:"steam_id,omitempty"`
	Text    string    `json:"text,omitempty"`
	Map     string    `json:"map,omitempty"`
	Team    string    `json:"team,omitempty"`
	At      time.Time `json:"at"`
}

// eventPage returns the page of an instance's events q selects, newest last:
// every reader of the feed (the instance page, its script, the API) goes
// through here.
func (s *Server) eventPage(r *http.Request, name string, rl role, q store.EventQuery) ([]eventView, error) {
	evs, err := s.cfg.Store.QueryEvents(r.Context(), name, q)
	if err != nil {
		return nil, err
	}
	out := make([]eventView, 0, len(evs))
	for _, e := range evs {
		out = append(out, eventView{ID: e.ID, Kind: e.Kind, Player: e.Player, SteamID: e.SteamID, Text: e.Text, Map: e.Map, Team: e.Team, At: e.At})
	}
	return eventsFor(rl, out), nil
}

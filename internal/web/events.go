package web

import (
	"net/http"
	"time"
)

// eventView is one game event as pages and the API show it.
type eventView struct {
	ID      int64     `json:"id"`
	Kind    string    `json:"kind"`
	Player  string    `json:"player,omitempty"`
	SteamID string    `json:"steam_id,omitempty"`
	Text    string    `json:"text,omitempty"`
	Map     string    `json:"map,omitempty"`
	At      time.Time `json:"at"`
}

// eventViews returns up to limit events of an instance after id after, newest last.
func (s *Server) eventViews(r *http.Request, name string, after int64, limit int) ([]eventView, error) {
	evs, err := s.cfg.Store.ListEvents(r.Context(), name, after, limit)
	if err != nil {
		return nil, err
	}
	out := make([]eventView, 0, len(evs))
	for _, e := range evs {
		out = append(out, eventView{ID: e.ID, Kind: e.Kind, Player: e.Player, SteamID: e.SteamID, Text: e.Text, Map: e.Map, At: e.At})
	}
	return out, nil
}

package web

import (
	"net/http"

	"github.com/left4me/left4me/internal/store"
	"github.com/left4me/left4me/internal/views"
)

// eventPage returns the page of an instance's events q selects, newest last:
// every reader of the feed (the instance page, its script, the API) goes
// through here.
func (s *Server) eventPage(r *http.Request, name string, rl role, q store.EventQuery) ([]views.Event, error) {
	evs, err := s.cfg.Store.QueryEvents(r.Context(), name, q)
	if err != nil {
		return nil, err
	}
	return eventsFor(rl, views.NewEvents(evs)), nil
}

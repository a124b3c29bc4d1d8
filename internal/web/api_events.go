package web

import (
	"net/http"
	"strconv"
)

// apiEvents answers the instance's game events after ?after=ID (default:
// the newest 100), oldest first. The instance page's script polls it.
func (s *Server) apiEvents(w http.ResponseWriter, r *http.Request) {
	inst, rl, ok := s.instanceFor(w, r)
	if !ok {
		return
	}
	var after int64
	if q := r.URL.Query().Get("after"); q != "" {
		v, err := strconv.ParseInt(q, 10, 64)
		if err != nil || v < 0 {
			writeJSON(w, http.StatusBadRequest, apiError{Error: "after: use an event id", Field: "after"})
			return
		}
		after = v
	}
	evs, err := s.eventViews(r, inst.Name, after, 100)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": eventsFor(rl, evs)})
}

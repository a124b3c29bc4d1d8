package web

import "net/http"

// apiLive answers the instance's state and live game state (map, players).
// The instance page's script polls it.
func (s *Server) apiLive(w http.ResponseWriter, r *http.Request) {
	inst, rl, ok := s.instanceFor(w, r, true)
	if !ok {
		return
	}
	v := s.describe(r.Context(), inst, rl, nil)
	live := v.Live
	if live == nil {
		live = &LiveState{Players: []LivePlayer{}}
	}
	writeJSON(w, http.StatusOK, map[string]any{"state": v.State, "since": v.Since, "live": live})
}

package web

import (
	"net/http"
	"time"

	"github.com/left4me/left4me/internal/instance"
)

// liveAnswer is the answer of GET /api/v1/instances/{name}/live.
type liveAnswer struct {
	State instance.State `json:"state"`
	Since time.Time      `json:"since,omitzero"`
	// Live is always present: an empty state while the server is not
	// running or has not answered yet.
	Live *LiveState `json:"live"`
}

// apiLive answers the instance's state and live game state (map, players).
// The instance page's script polls it.
func (s *Server) apiLive(w http.ResponseWriter, r *http.Request) {
	inst, rl, ok := s.instanceFor(w, r)
	if !ok {
		return
	}
	v := s.describe(r.Context(), inst, rl, nil)
	live := v.Live
	if live == nil {
		live = &LiveState{Players: []LivePlayer{}}
	}
	writeJSON(w, http.StatusOK, liveAnswer{State: v.State, Since: v.Since, Live: live})
}

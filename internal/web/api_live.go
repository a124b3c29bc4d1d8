package web

import (
	"context"
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
// The instance page follows the same answer as a stream (live_stream.go).
func (s *Server) apiLive(w http.ResponseWriter, r *http.Request) {
	inst, rl, ok := s.instanceFor(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, s.liveOf(r.Context(), inst, rl))
}

// liveOf is the live answer of inst for a viewer with role rl.
func (s *Server) liveOf(ctx context.Context, inst instance.Instance, rl role) liveAnswer {
	v := s.describe(ctx, inst, rl, nil)
	live := v.Live
	if live == nil {
		live = &LiveState{Players: []LivePlayer{}}
	}
	return liveAnswer{State: v.State, Since: v.Since, Live: live}
}

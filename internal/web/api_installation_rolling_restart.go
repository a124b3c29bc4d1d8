package web

import (
	"net/http"

	"github.com/left4me/left4me/internal/content"
)

// rollingRestartReply answers POST /api/v1/installation/rolling-restart.
type rollingRestartReply struct {
	// Stale are the running instances on an older generation, the ones
	// the rolling restart meant to restart; Restarted those it did.
	Stale     []string `json:"stale"`
	Restarted []string `json:"restarted"`
	// Error says where it stopped (409).
	Error string `json:"error,omitempty"`
}

// apiRollingRestart runs the rolling restart (content.RestartStale) and
// answers what it restarted; 409 with the same fields when it stopped at a
// failure.
func (s *Server) apiRollingRestart(w http.ResponseWriter, r *http.Request) {
	if !s.contentOn(w, r) {
		return
	}
	stale, done, err := content.RestartStale(r.Context(), s.cfg.Root, s.cfg.Instances, content.NopProgress{})
	if err != nil && stale == nil {
		s.serverError(w, r, err)
		return
	}
	reply := rollingRestartReply{Stale: nonNil(stale), Restarted: nonNil(done)}
	status := http.StatusOK
	if err != nil {
		s.log.Warn("rolling restart", "err", err, "user", who(r).User.Name)
		reply.Error, status = err.Error(), http.StatusConflict
	} else if len(stale) > 0 {
		s.log.Info("rolling restart", "instances", stale, "user", who(r).User.Name)
	}
	writeJSON(w, status, reply)
}

package web

import (
	"errors"
	"io"
	"net/http"

	"github.com/left4me/left4me/internal/schedule"
)

// apiRollingRestart queues the rolling restart (schedule.RollingArgs: each
// running instance on an older generation restarted when empty, at most
// "parallel" at once; the body is optional) and answers the job, 202; the
// one already queued or running answers 200.
func (s *Server) apiRollingRestart(w http.ResponseWriter, r *http.Request) {
	if !s.contentOn(w, r) || !s.jobsOn(w, r) || !s.schedulesOn(w, r) {
		return
	}
	var sp schedule.RollingSpec
	if err := decodeJSON(r, &sp); err != nil && !errors.Is(err, io.EOF) {
		writeJSON(w, http.StatusBadRequest, apiError{Error: err.Error()})
		return
	}
	id, dup, err := s.cfg.Schedules.EnqueueRollingRestart(r.Context(), sp, who(r).User.ID)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	writeQueued(w, id, dup)
}

package web

import (
	"errors"
	"io"
	"net/http"

	"github.com/left4me/left4me/internal/content"
	"github.com/left4me/left4me/internal/jobs"
)

// apiInstall queues an install/update of the game ({"validate": true}
// checks every file), or answers the one already queued or running.
func (s *Server) apiInstall(w http.ResponseWriter, r *http.Request) {
	if !s.contentOn(w, r, true) || !s.jobsOn(w, r, true) {
		return
	}
	var args content.InstallArgs
	if err := decodeJSON(r, &args); err != nil && !errors.Is(err, io.EOF) {
		s.fail(w, r, true, http.StatusBadRequest, err.Error())
		return
	}
	id, dup, err := s.cfg.Jobs.Enqueue(r.Context(), content.KindInstall, args, jobs.EnqueueOpts{UserID: who(r).User.ID, Unique: true})
	if err != nil {
		s.serverError(w, r, true, err)
		return
	}
	writeQueued(w, id, dup)
}

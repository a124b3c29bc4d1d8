package web

import (
	"net/http"

	"github.com/left4me/left4me/internal/workshop"
)

// apiWorkshopRefresh queues a refresh of every Workshop item (202), or
// answers the one already queued or running (200, duplicate).
func (s *Server) apiWorkshopRefresh(w http.ResponseWriter, r *http.Request) {
	if !s.jobsOn(w, r) {
		return
	}
	id, dup, err := workshop.EnqueueRefresh(r.Context(), s.cfg.Jobs, who(r).User.ID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	writeQueued(w, id, dup)
}

package web

import (
	"net/http"

	"github.com/left4me/left4me/internal/workshop"
)

// workshopRefresh queues a refresh of every Workshop item. A refresh asked
// for while one is queued or running is a no-op: the page shows that job.
func (s *Server) workshopRefresh(w http.ResponseWriter, r *http.Request) {
	if !s.jobsOn(w, r) {
		return
	}
	id, dup, err := workshop.EnqueueRefresh(r.Context(), s.cfg.Jobs, who(r).User.ID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	done := "queued"
	if dup {
		done = "dup"
	}
	http.Redirect(w, r, jobURL(id)+"?done="+done, http.StatusSeeOther)
}

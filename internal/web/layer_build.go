package web

import (
	"net/http"

	"github.com/left4me/left4me/internal/content"
	"github.com/left4me/left4me/internal/store"
)

// layerBuild queues a build of a script layer and shows the job; a build
// of the same layer already queued or running is shown instead.
func (s *Server) layerBuild(w http.ResponseWriter, r *http.Request) {
	li, ok := s.layerFor(w, r)
	if !ok || !s.jobsOn(w, r) {
		return
	}
	if li.Kind != store.LayerScript {
		s.fail(w, r, http.StatusUnprocessableEntity, "Layer "+li.ID+" is a "+li.Kind+" layer; only script layers are built.")
		return
	}
	id, dup, err := content.EnqueueBuild(r.Context(), s.cfg.Jobs, li.ID, who(r).User.ID)
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

package web

import (
	"net/http"

	"github.com/left4me/left4me/internal/content"
	"github.com/left4me/left4me/internal/store"
)

// apiLayerBuild queues a build of a script layer (202), or answers the
// build already queued or running (200, duplicate).
func (s *Server) apiLayerBuild(w http.ResponseWriter, r *http.Request) {
	li, ok := s.layerFor(w, r)
	if !ok || !s.jobsOn(w, r) {
		return
	}
	if li.Kind != store.LayerScript {
		s.fail(w, r, http.StatusUnprocessableEntity, "layer "+li.ID+" is a "+li.Kind+" layer; only script layers are built")
		return
	}
	id, dup, err := content.EnqueueBuild(r.Context(), s.cfg.Jobs, li.ID, who(r).User.ID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	writeQueued(w, id, dup)
}

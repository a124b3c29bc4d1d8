package web

import (
	"net/http"

	"github.com/left4me/left4me/internal/store"
	"github.com/left4me/left4me/internal/workshop"
)

// apiWorkshopAdd queues the download of Workshop items or collections
// (ids or URLs) into a workshop layer, created when new:
// {"layer": "maps", "refs": ["123", "https://…?id=456"]}.
func (s *Server) apiWorkshopAdd(w http.ResponseWriter, r *http.Request) {
	if !s.contentOn(w, r) || !s.jobsOn(w, r) {
		return
	}
	if s.cfg.Workshop == nil {
		s.fail(w, r, http.StatusNotFound, "the Steam Workshop is not set up on this panel")
		return
	}
	var req struct {
		Layer string   `json:"layer"`
		Refs  []string `json:"refs"`
	}
	if err := decodeJSON(r, &req); err != nil {
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	if li, err := s.cfg.Content.Layer(r.Context(), req.Layer); err == nil && li.Kind != store.LayerWorkshop {
		writeJSON(w, http.StatusUnprocessableEntity, apiError{Error: "layer " + req.Layer + " is a " + li.Kind + " layer; Workshop items go into workshop layers", Field: "layer"})
		return
	}
	id, err := workshop.EnqueueAdd(r.Context(), s.cfg.Jobs, req.Layer, req.Refs, who(r).User.ID)
	if err != nil {
		if !userFault(err) && len(req.Refs) > 0 {
			s.serverError(w, r, err)
			return
		}
		writeJSON(w, http.StatusUnprocessableEntity, apiError{Error: err.Error()})
		return
	}
	writeQueued(w, id, false)
}

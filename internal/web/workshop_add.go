package web

import (
	"net/http"
	"strings"

	"github.com/left4me/left4me/internal/store"
	"github.com/left4me/left4me/internal/workshop"
)

// workshopAdd queues a job that adds Workshop items or collections (ids or
// URLs) to a workshop layer, creating the layer when it is new, and shows
// the job.
func (s *Server) workshopAdd(w http.ResponseWriter, r *http.Request) {
	if !s.contentOn(w, r) || !s.jobsOn(w, r) {
		return
	}
	if s.cfg.Workshop == nil {
		s.fail(w, r, http.StatusNotFound, "The Steam Workshop is not set up on this panel.")
		return
	}
	f := layerFormFrom(r)
	refs := strings.FieldsFunc(f.Refs, func(c rune) bool { return c == ',' || c == ' ' || c == '\n' || c == '\r' || c == '\t' })
	if len(refs) == 0 {
		f.fail("refs", "Give at least one Workshop item or collection id or URL.")
	} else if _, err := workshop.ParseIDs(refs); err != nil {
		f.fail("refs", err.Error())
	}
	if err := workshop.ValidateLayerID(f.ID); err != nil {
		f.fail("id", err.Error())
	} else if li, err := s.cfg.Content.Layer(r.Context(), f.ID); err == nil && li.Kind != store.LayerWorkshop {
		f.fail("id", "Layer "+f.ID+" is a "+li.Kind+" layer; Workshop items go into workshop layers.")
	}
	if f.Errors == nil {
		id, err := workshop.EnqueueAdd(r.Context(), s.cfg.Jobs, f.ID, refs, who(r).User.ID)
		if err != nil {
			if !userFault(err) {
				s.serverError(w, r, err)
				return
			}
			f.fail("refs", err.Error())
		} else {
			http.Redirect(w, r, jobURL(id)+"?done=queued", http.StatusSeeOther)
			return
		}
	}
	s.showLayers(w, r, http.StatusUnprocessableEntity, layersPage{WS: f, Upload: layerForm{Path: "left4dead2/"}})
}

package web

import (
	"errors"
	"net/http"

	"github.com/left4me/left4me/internal/store"
	"github.com/left4me/left4me/internal/views"
)

// apiLayerGet answers one layer (views.Layer, the shape of `left4me
// overlay show --json`) with its generations, and its items when it is a
// workshop layer. The script is shown to administrators only.
func (s *Server) apiLayerGet(w http.ResponseWriter, r *http.Request) {
	li, ok := s.layerFor(w, r)
	if !ok {
		return
	}
	visible, err := s.visibleNames(r.Context(), who(r))
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	li.UsedBy = onlyVisible(li.UsedBy, visible)
	d := views.NewLayer(li)
	if who(r).User.IsAdmin {
		d.Script = li.Script
	}
	if li.Kind == store.LayerWorkshop && s.cfg.Workshop != nil {
		wl, err := s.cfg.Workshop.Layer(r.Context(), li.ID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			s.serverError(w, r, err)
			return
		}
		d.Items = views.WorkshopItems(wl)
	}
	writeJSON(w, http.StatusOK, d)
}

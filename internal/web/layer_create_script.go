package web

import (
	"net/http"
	"net/url"

	"github.com/left4me/left4me/internal/store"
)

// layerCreateScript stores a new script layer; building it is a separate
// step (the layer's page has the button).
func (s *Server) layerCreateScript(w http.ResponseWriter, r *http.Request) {
	if !s.contentOn(w, r) {
		return
	}
	f := layerFormFrom(r)
	if exists, err := s.layerExists(r.Context(), f.ID); err == nil && exists {
		f.fail("id", "A layer named "+f.ID+" already exists.")
	}
	if f.Errors == nil {
		_, err := s.cfg.Content.CreateScript(r.Context(), store.Layer{ID: f.ID, Name: f.Name, Description: f.Description, Script: f.Script})
		if err == nil {
			http.Redirect(w, r, "/layers/"+url.PathEscape(f.ID)+"?done=layer", http.StatusSeeOther)
			return
		}
		if !f.failErr(err, "script") {
			s.serverError(w, r, err)
			return
		}
	}
	s.showLayers(w, r, http.StatusUnprocessableEntity, layersPage{Script: f, Upload: layerForm{Path: "left4dead2/"}})
}

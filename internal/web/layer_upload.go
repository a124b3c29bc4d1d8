package web

import (
	"net/http"
	"net/url"

	"github.com/left4me/left4me/internal/store"
)

// layerUpload adds an upload to an upload layer as a new generation.
func (s *Server) layerUpload(w http.ResponseWriter, r *http.Request) {
	li, ok := s.layerFor(w, r)
	if !ok {
		return
	}
	f := layerFormFrom(r)
	f.ID, f.Script = li.ID, li.Script
	if li.Kind != store.LayerUpload {
		f.fail("file", "Layer "+li.ID+" is a "+li.Kind+" layer; uploads go into upload layers.")
	} else if _, err := s.upload(r, &f); err != nil {
		s.serverError(w, r, err)
		return
	}
	if f.Errors != nil {
		s.showLayer(w, r, http.StatusUnprocessableEntity, li, f)
		return
	}
	http.Redirect(w, r, "/layers/"+url.PathEscape(li.ID)+"?done=uploaded", http.StatusSeeOther)
}

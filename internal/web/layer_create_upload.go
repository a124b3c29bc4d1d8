package web

import (
	"net/http"
	"net/url"

	"github.com/left4me/left4me/internal/content"
)

// layerCreateUpload creates an upload layer from its first upload (an
// archive unpacked into a directory inside left4dead2/, or one file). A
// refused upload shows why and creates nothing.
func (s *Server) layerCreateUpload(w http.ResponseWriter, r *http.Request) {
	if !s.contentOn(w, r) {
		return
	}
	f := layerFormFrom(r)
	if err := content.ValidateLayerID(f.ID); err != nil {
		f.failErr(err, "id")
	} else if exists, err := s.layerExists(r.Context(), f.ID); err != nil {
		s.serverError(w, r, err)
		return
	} else if exists {
		f.fail("id", "A layer named "+f.ID+" already exists; upload into it from its page.")
	}
	if f.Errors == nil {
		if _, err := s.upload(r, &f); err != nil {
			s.serverError(w, r, err)
			return
		}
	}
	if f.Errors != nil {
		s.showLayers(w, r, http.StatusUnprocessableEntity, layersPage{Upload: f})
		return
	}
	http.Redirect(w, r, "/layers/"+url.PathEscape(f.ID)+"?done=uploaded", http.StatusSeeOther)
}

package web

import (
	"net/http"
	"net/url"
)

// layerScriptSave replaces a script layer's script (and, with build=1,
// queues a build with it).
func (s *Server) layerScriptSave(w http.ResponseWriter, r *http.Request) {
	li, ok := s.layerFor(w, r)
	if !ok {
		return
	}
	f := layerFormFrom(r)
	f.Path = "left4dead2/"
	if _, err := s.cfg.Content.SetScript(r.Context(), li.ID, f.Script); err != nil {
		if !f.failErr(err, "script") {
			s.serverError(w, r, err)
			return
		}
		s.showLayer(w, r, http.StatusUnprocessableEntity, li, f)
		return
	}
	if r.PostFormValue("build") == "1" {
		s.layerBuild(w, r)
		return
	}
	http.Redirect(w, r, "/layers/"+url.PathEscape(li.ID)+"?done=script", http.StatusSeeOther)
}

package web

import (
	"net/http"
)

// layerDelete deletes a layer that no instance lists, after the admin
// typed its id to confirm.
func (s *Server) layerDelete(w http.ResponseWriter, r *http.Request) {
	li, ok := s.layerFor(w, r)
	if !ok {
		return
	}
	f := layerForm{Script: li.Script, Path: "left4dead2/"}
	if r.PostFormValue("confirm") != li.ID {
		f.fail("confirm", "Type the layer's id, "+li.ID+", to confirm.")
		s.showLayer(w, r, http.StatusUnprocessableEntity, li, f)
		return
	}
	if err := s.cfg.Content.Delete(r.Context(), li.ID); err != nil {
		if !userFault(err) {
			s.serverError(w, r, err)
			return
		}
		f.fail("confirm", err.Error())
		s.showLayer(w, r, http.StatusConflict, li, f)
		return
	}
	http.Redirect(w, r, "/layers?done=ldeleted", http.StatusSeeOther)
}

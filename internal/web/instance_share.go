package web

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/left4me/left4me/internal/store"
)

// instanceShare lets another account see and run the instance (admins only).
func (s *Server) instanceShare(w http.ResponseWriter, r *http.Request) {
	inst, _, ok := s.instanceFor(w, r)
	if !ok {
		return
	}
	u, err := s.cfg.Store.UserByName(r.Context(), r.PostFormValue("user"))
	if errors.Is(err, store.ErrNotFound) {
		s.fail(w, r, http.StatusUnprocessableEntity, "No account named "+r.PostFormValue("user")+".")
		return
	}
	if err == nil {
		err = s.cfg.Store.ShareInstance(r.Context(), inst.Name, u.ID)
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/instances/"+url.PathEscape(inst.Name)+"?done=shared#sharing", http.StatusSeeOther)
}

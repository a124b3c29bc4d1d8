package web

import (
	"net/http"
	"net/url"
)

// instanceUnshare withdraws a share (admins only).
func (s *Server) instanceUnshare(w http.ResponseWriter, r *http.Request) {
	inst, _, ok := s.instanceFor(w, r)
	if !ok {
		return
	}
	uid, ok := pathID(r, "user")
	if !ok {
		s.fail(w, r, http.StatusNotFound, "No such account.")
		return
	}
	if err := s.cfg.Store.UnshareInstance(r.Context(), inst.Name, uid); err != nil {
		s.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/instances/"+url.PathEscape(inst.Name)+"?done=shared#sharing", http.StatusSeeOther)
}

package web

import (
	"net/http"
	"net/url"
	"strconv"
)

// instanceUnshare withdraws a share (admins only).
func (s *Server) instanceUnshare(w http.ResponseWriter, r *http.Request) {
	inst, _, ok := s.instanceFor(w, r, false)
	if !ok {
		return
	}
	uid, err := strconv.ParseInt(r.PathValue("user"), 10, 64)
	if err != nil {
		s.fail(w, r, false, http.StatusNotFound, "No such account.")
		return
	}
	if err := s.cfg.Store.UnshareInstance(r.Context(), inst.Name, uid); err != nil {
		s.serverError(w, r, false, err)
		return
	}
	http.Redirect(w, r, "/instances/"+url.PathEscape(inst.Name)+"?done=shared#sharing", http.StatusSeeOther)
}

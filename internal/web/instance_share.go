package web

import (
	"net/http"
	"net/url"

	"github.com/left4me/left4me/internal/roles"
)

// instanceShare shares the instance with another account in a role, or
// changes the role of its share (the owner, administrators and admin-role
// shares: roles.Share). The rules are roles.Grant's, the CLI's and the
// API's too.
func (s *Server) instanceShare(w http.ResponseWriter, r *http.Request) {
	inst, _, ok := s.instanceFor(w, r)
	if !ok {
		return
	}
	u, rl, err := roles.Grant(r.Context(), s.cfg.Store, who(r).User, inst, r.PostFormValue("user"), r.PostFormValue("role"))
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	s.log.Info("instance shared", "instance", inst.Name, "user", u.Name, "role", string(rl), "by", who(r).User.Name)
	http.Redirect(w, r, "/instances/"+url.PathEscape(inst.Name)+"?done=shared#sharing", http.StatusSeeOther)
}

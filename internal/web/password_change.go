package web

import (
	"net/http"

	"github.com/left4me/left4me/internal/auth"
)

// passwordChange replaces the user's password after checking the current
// one. The store ends every session of the user; this one is started anew.
func (s *Server) passwordChange(w http.ResponseWriter, r *http.Request) {
	p := who(r)
	errs := map[string]string{}
	if auth.VerifyPassword(p.User.PasswordHash, r.PostFormValue("current")) != nil {
		errs["current"] = "That is not your current password."
	}
	if err := auth.CheckPasswordPolicy(r.PostFormValue("new")); err != nil {
		errs["new"] = err.Error()
	}
	if len(errs) > 0 {
		s.showAccount(w, r, http.StatusUnprocessableEntity, accountPage{PasswordErrors: errs})
		return
	}
	hash, err := auth.HashPassword(r.PostFormValue("new"))
	if err == nil {
		err = s.cfg.Store.SetPassword(r.Context(), p.User.ID, hash)
	}
	if err == nil {
		err = s.startSession(r.Context(), w, p.User)
	}
	if err != nil {
		s.serverError(w, r, false, err)
		return
	}
	s.log.Info("password changed", "user", p.User.Name)
	http.Redirect(w, r, "/account?done=password", http.StatusSeeOther)
}

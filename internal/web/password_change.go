package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/left4me/left4me/internal/auth"
)

// passwordChange replaces the user's password after checking the current
// one. The store ends every session of the user; this one is started anew.
// All the user's API tokens are revoked too unless the form's box was
// unchecked: the form sends revoke_tokens=0 from a hidden field and =1 from
// the checkbox after it, so the last value is the box's, and a form
// without the field revokes (the default is on).
func (s *Server) passwordChange(w http.ResponseWriter, r *http.Request) {
	p := who(r)
	errs := map[string]string{}
	revoke := true
	if err := r.ParseForm(); err == nil && len(r.PostForm["revoke_tokens"]) > 0 {
		v := r.PostForm["revoke_tokens"]
		revoke = v[len(v)-1] != "0"
	}
	keep := !revoke
	// Throttled like the login: a stolen session must not become an
	// unlimited password oracle, nor a way to fill memory with hashes.
	key := "password-change|" + strconv.FormatInt(p.User.ID, 10)
	if ok, wait := s.cfg.Throttle.Attempt(key); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		errs["current"] = "Too many wrong current passwords. Try again in " + played(wait) + "."
		s.showAccount(w, r, http.StatusTooManyRequests, accountPage{PasswordErrors: errs, KeepTokens: keep})
		return
	}
	switch err := s.cfg.Hasher.Verify(r.Context(), p.User.PasswordHash, r.PostFormValue("current")); {
	case errors.Is(err, auth.ErrHashBusy):
		// Not a wrong password: only this attempt is taken back.
		s.cfg.Throttle.Cancel(key)
		w.Header().Set("Retry-After", "2")
		errs["current"] = "The panel is busy checking other passwords. Try again in a moment."
		s.showAccount(w, r, http.StatusServiceUnavailable, accountPage{PasswordErrors: errs, KeepTokens: keep})
		return
	case err != nil:
		errs["current"] = "That is not your current password."
	default:
		s.cfg.Throttle.Reset(key)
	}
	if err := auth.CheckPasswordPolicy(r.PostFormValue("new")); err != nil {
		errs["new"] = err.Error()
	}
	if len(errs) > 0 {
		s.showAccount(w, r, http.StatusUnprocessableEntity, accountPage{PasswordErrors: errs, KeepTokens: keep})
		return
	}
	hash, err := s.cfg.Hasher.Hash(r.Context(), r.PostFormValue("new"))
	revoked := 0
	if err == nil {
		revoked, err = s.cfg.Store.ChangePassword(r.Context(), p.User.ID, hash, revoke)
	}
	if err == nil {
		err = s.startSession(r.Context(), w, p.User)
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.log.Info("password changed", "user", p.User.Name, "tokens_revoked", revoked)
	done := "password"
	if revoke {
		done = "pwtokens"
	}
	http.Redirect(w, r, "/account?done="+done, http.StatusSeeOther)
}

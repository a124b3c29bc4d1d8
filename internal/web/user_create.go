package web

import (
	"errors"
	"net/http"
	"regexp"
	"strings"

	"github.com/left4me/left4me/internal/auth"
	"github.com/left4me/left4me/internal/store"
)

// userNamePattern is the shape of account names.
var userNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$`)

// userCreate creates an account (admins only).
func (s *Server) userCreate(w http.ResponseWriter, r *http.Request) {
	pg := usersPage{Name: strings.TrimSpace(r.PostFormValue("name")), Admin: r.PostFormValue("admin") == "on", Errors: map[string]string{}}
	password := r.PostFormValue("password")
	if !userNamePattern.MatchString(pg.Name) {
		pg.Errors["name"] = "Use 1-32 characters: letters, digits, '.', '_' or '-'."
	}
	if err := auth.CheckPasswordPolicy(password); err != nil {
		pg.Errors["password"] = err.Error()
	}
	if len(pg.Errors) > 0 {
		s.showUsers(w, r, http.StatusUnprocessableEntity, pg)
		return
	}
	hash, err := s.cfg.Hasher.Hash(r.Context(), password)
	if err == nil {
		_, err = s.cfg.Store.CreateUser(r.Context(), pg.Name, hash, pg.Admin)
	}
	if errors.Is(err, store.ErrConflict) {
		pg.Errors["name"] = "An account named " + pg.Name + " already exists."
		s.showUsers(w, r, http.StatusConflict, pg)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.log.Info("account created", "user", pg.Name, "admin", pg.Admin, "by", who(r).User.Name)
	http.Redirect(w, r, "/admin/users?done=user", http.StatusSeeOther)
}

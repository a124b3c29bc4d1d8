package web

import (
	"net/http"

	"github.com/left4me/left4me/internal/store"
)

// usersPage is the account administration page.
type usersPage struct {
	Users  []store.User
	Errors map[string]string
	Name   string
	Admin  bool
	Error  string
}

// userList shows every account (admins only).
func (s *Server) userList(w http.ResponseWriter, r *http.Request) {
	s.showUsers(w, r, http.StatusOK, usersPage{})
}

func (s *Server) showUsers(w http.ResponseWriter, r *http.Request, status int, pg usersPage) {
	users, err := s.cfg.Store.ListUsers(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	pg.Users = users
	s.render(w, r, status, "users", "Accounts", pg)
}

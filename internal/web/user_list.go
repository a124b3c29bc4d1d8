package web

import (
	"net/http"
	"strconv"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/store"
)

// usersPage is the account administration page.
type usersPage struct {
	Users  []userRow
	Errors map[string]string
	Name   string
	Admin  bool
	Error  string
	// LimitsOf is the account whose limits form failed (with Errors and
	// the values sent, FormInstances and FormRunning).
	LimitsOf                   int64
	FormInstances, FormRunning string
	// Default limits of accounts that are not administrators (the page
	// explains them).
	DefaultInstances, DefaultRunning int
}

// userRow is one account with its limits as the page shows them.
type userRow struct {
	store.User
	// Instances and Running read as "default (3)", "unlimited" or "5".
	Instances, Running string
	// OwnInstances and OwnRunning fill the limits form: the account's own
	// limits, "" for the default.
	OwnInstances, OwnRunning string
}

func ownLimitText(p *int) string {
	switch {
	case p == nil:
		return ""
	case *p < 0:
		return "unlimited"
	}
	return strconv.Itoa(*p)
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
	for _, u := range users {
		l := instance.LimitsOf(u)
		pg.Users = append(pg.Users, userRow{User: u,
			Instances: instance.LimitText(u.Limits.MaxInstances, l.Instances), Running: instance.LimitText(u.Limits.MaxRunning, l.Running),
			OwnInstances: ownLimitText(u.Limits.MaxInstances), OwnRunning: ownLimitText(u.Limits.MaxRunning)})
		if u.ID == pg.LimitsOf {
			row := &pg.Users[len(pg.Users)-1]
			row.OwnInstances, row.OwnRunning = pg.FormInstances, pg.FormRunning
		}
	}
	pg.DefaultInstances, pg.DefaultRunning = instance.DefaultMaxInstances, instance.DefaultMaxRunning
	s.render(w, r, status, "users", "Accounts", pg)
}

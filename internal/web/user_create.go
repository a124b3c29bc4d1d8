package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/left4me/left4me/internal/account"
)

// userCreate creates an account (admins only). The rules and their words
// are the CLI's too (account.Create).
func (s *Server) userCreate(w http.ResponseWriter, r *http.Request) {
	pg := usersPage{Name: strings.TrimSpace(r.PostFormValue("name")), Admin: r.PostFormValue("admin") == "on", Errors: map[string]string{}}
	_, err := account.Create(r.Context(), s.cfg.Store, s.cfg.Hasher, pg.Name, r.PostFormValue("password"), pg.Admin)
	var fe *account.FieldError
	if errors.As(err, &fe) {
		// Both fields are checked, so one form shows every problem.
		pg.Errors[fe.Field] = fe.Err.Error()
		if fe.Field == account.FieldName {
			if perr := account.ValidatePassword(r.PostFormValue("password")); errors.As(perr, &fe) {
				pg.Errors[fe.Field] = fe.Err.Error()
			}
		}
		a, _ := answerFor(err)
		s.showUsers(w, r, a.status, pg)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.log.Info("account created", "user", pg.Name, "admin", pg.Admin, "by", who(r).User.Name)
	http.Redirect(w, r, "/admin/users?done=user", http.StatusSeeOther)
}

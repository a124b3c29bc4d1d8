package web

import (
	"errors"
	"net/http"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/store"
)

// userLimits sets an account's limits (admins only): max_instances and
// max_running, each a number, "unlimited" or empty for the role's default
// (docs/operations.md, "Account limits"). The CLI's `user update` reads them
// with the same rule (instance.ParseLimit).
func (s *Server) userLimits(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.fail(w, r, http.StatusNotFound, "No such account.")
		return
	}
	var l store.Limits
	pg := usersPage{LimitsOf: id, Errors: map[string]string{},
		FormInstances: r.PostFormValue(instance.FieldMaxInstances), FormRunning: r.PostFormValue(instance.FieldMaxRunning)}
	var err error
	for _, f := range []struct {
		field string
		dst   **int
	}{{instance.FieldMaxInstances, &l.MaxInstances}, {instance.FieldMaxRunning, &l.MaxRunning}} {
		if *f.dst, err = instance.ParseLimit(f.field, r.PostFormValue(f.field)); err != nil {
			a, _ := answerFor(err)
			pg.Errors[a.field] = a.msg
		}
	}
	if len(pg.Errors) > 0 {
		s.showUsers(w, r, http.StatusUnprocessableEntity, pg)
		return
	}
	err = s.cfg.Store.SetLimits(r.Context(), id, l)
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.fail(w, r, http.StatusNotFound, "No such account.")
	case err != nil:
		s.serverError(w, r, err)
	default:
		s.log.Info("account limits set", "user_id", id, "max_instances", ownLimitText(l.MaxInstances), "max_running", ownLimitText(l.MaxRunning), "by", who(r).User.Name)
		http.Redirect(w, r, "/admin/users?done=user", http.StatusSeeOther)
	}
}

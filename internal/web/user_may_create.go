package web

import (
	"errors"
	"net/http"

	"github.com/left4me/left4me/internal/roles"
	"github.com/left4me/left4me/internal/store"
)

// userMayCreate allows or forbids an account to create instances
// (administrators only): may_create "on" or "off", read as the CLI's
// `user update --may-create` reads it (roles.ParseSwitch).
func (s *Server) userMayCreate(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.fail(w, r, http.StatusNotFound, "No such account.")
		return
	}
	may, err := roles.ParseSwitch(roles.FieldMayCreate, r.PostFormValue(roles.FieldMayCreate))
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	err = s.cfg.Store.SetMayCreate(r.Context(), id, may)
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.fail(w, r, http.StatusNotFound, "No such account.")
	case err != nil:
		s.serverError(w, r, err)
	default:
		s.log.Info("account permission set", "user_id", id, "may_create", may, "by", who(r).User.Name)
		http.Redirect(w, r, "/admin/users?done=user", http.StatusSeeOther)
	}
}

package web

import (
	"errors"
	"net/http"

	"github.com/left4me/left4me/internal/store"
)

// userDelete deletes an account (admins only). Accounts that still own
// instances, and the admin's own account, are refused.
func (s *Server) userDelete(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.fail(w, r, http.StatusNotFound, "No such account.")
		return
	}
	if id == who(r).User.ID {
		s.showUsers(w, r, http.StatusConflict, usersPage{Error: "You cannot delete your own account."})
		return
	}
	err := s.cfg.Store.DeleteUser(r.Context(), id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.fail(w, r, http.StatusNotFound, "No such account.")
	case errors.Is(err, store.ErrUserOwnsInstances):
		s.showUsers(w, r, http.StatusConflict, usersPage{Error: "That account still owns instances: delete them first."})
	case err != nil:
		s.serverError(w, r, err)
	default:
		http.Redirect(w, r, "/admin/users?done=user", http.StatusSeeOther)
	}
}

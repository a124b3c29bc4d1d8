package web

import (
	"errors"
	"net/http"

	"github.com/left4me/left4me/internal/roles"
	"github.com/left4me/left4me/internal/store"
	"github.com/left4me/left4me/internal/views"
)

// apiUserList answers every account with its limits and permissions
// (administrators only).
func (s *Server) apiUserList(w http.ResponseWriter, r *http.Request) {
	users, err := s.cfg.Store.ListUsers(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	out := make([]views.User, 0, len(users))
	for _, u := range users {
		out = append(out, views.NewUser(u))
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": out})
}

// userUpdate is the body of PATCH /api/v1/users/{user}: the fields given
// are changed.
type userUpdate struct {
	MayCreate *bool `json:"may_create"`
}

// apiUserUpdate changes an account's permission to create instances
// (administrators only; the panel's accounts page and `left4me user
// update --may-create` do the same).
func (s *Server) apiUserUpdate(w http.ResponseWriter, r *http.Request) {
	var req userUpdate
	if err := decodeJSON(r, &req); err != nil {
		writeJSON(w, http.StatusBadRequest, apiError{Error: err.Error()})
		return
	}
	name := r.PathValue("user")
	u, err := s.cfg.Store.UserByName(r.Context(), name)
	if errors.Is(err, store.ErrNotFound) {
		s.fail(w, r, http.StatusNotFound, "No account named "+name+".")
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if req.MayCreate == nil {
		writeJSON(w, http.StatusUnprocessableEntity, apiError{Error: "give may_create (true or false)", Field: roles.FieldMayCreate})
		return
	}
	if err := s.cfg.Store.SetMayCreate(r.Context(), u.ID, *req.MayCreate); err != nil {
		s.serverError(w, r, err)
		return
	}
	u.MayCreate = *req.MayCreate
	s.log.Info("account permission set", "user", u.Name, "may_create", u.MayCreate, "by", who(r).User.Name)
	writeJSON(w, http.StatusOK, views.NewUser(u))
}

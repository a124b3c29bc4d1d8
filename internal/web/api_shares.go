package web

import (
	"net/http"

	"github.com/left4me/left4me/internal/roles"
	"github.com/left4me/left4me/internal/views"
)

// apiShareList answers the accounts the instance is shared with and their
// roles (roles.Share).
func (s *Server) apiShareList(w http.ResponseWriter, r *http.Request) {
	inst, _, ok := s.instanceFor(w, r)
	if !ok {
		return
	}
	shares, err := s.cfg.Store.Shares(r.Context(), inst.Name)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	out := make([]views.Share, 0, len(shares))
	for _, sh := range shares {
		out = append(out, views.NewShare(sh.User.Name, roles.Role(sh.Role)))
	}
	writeJSON(w, http.StatusOK, map[string]any{"shares": out})
}

// shareRequest is the body of PUT /api/v1/instances/{name}/shares/{user}.
type shareRequest struct {
	Role string `json:"role"`
}

// apiSharePut shares the instance with the account {user} in the body's
// role, or changes the role of its share (roles.Grant's rules).
func (s *Server) apiSharePut(w http.ResponseWriter, r *http.Request) {
	inst, _, ok := s.instanceFor(w, r)
	if !ok {
		return
	}
	var req shareRequest
	if err := decodeJSON(r, &req); err != nil {
		writeJSON(w, http.StatusBadRequest, apiError{Error: err.Error()})
		return
	}
	u, rl, err := roles.Grant(r.Context(), s.cfg.Store, who(r).User, inst, r.PathValue("user"), req.Role)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	s.log.Info("instance shared", "instance", inst.Name, "user", u.Name, "role", string(rl), "by", who(r).User.Name)
	writeJSON(w, http.StatusOK, views.NewShare(u.Name, rl))
}

// apiShareDelete withdraws the share of the instance with {user} and
// rotates the instance's RCON password (roles.Withdraw): 204.
func (s *Server) apiShareDelete(w http.ResponseWriter, r *http.Request) {
	inst, _, ok := s.instanceFor(w, r)
	if !ok {
		return
	}
	if s.withdraw(w, r, inst.Name, r.PathValue("user")) {
		w.WriteHeader(http.StatusNoContent)
	}
}

package web

import (
	"net/http"

	"github.com/left4me/left4me/internal/roles"
	"github.com/left4me/left4me/internal/views"
)

// cloneRequest is the body of POST /api/v1/instances/{name}/clone.
type cloneRequest struct {
	Name string `json:"name"`
	Port int    `json:"port"` // 0 picks a free port block
}

// apiInstanceClone clones an instance for the caller: 201 with the new
// instance, stopped.
func (s *Server) apiInstanceClone(w http.ResponseWriter, r *http.Request) {
	src, _, ok := s.instanceFor(w, r)
	if !ok {
		return
	}
	var req cloneRequest
	if err := decodeJSON(r, &req); err != nil {
		writeJSON(w, http.StatusBadRequest, apiError{Error: err.Error()})
		return
	}
	inst, err := s.cloneInto(r.Context(), who(r), src.Name, req.Name, req.Port)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	owners := views.Names{who(r).User.ID: who(r).User.Name}
	writeJSON(w, http.StatusCreated, s.describe(r.Context(), inst, roles.Owner, owners))
}

// apiInstanceDiff lists what an instance's upper changes.
func (s *Server) apiInstanceDiff(w http.ResponseWriter, r *http.Request) {
	inst, _, ok := s.instanceFor(w, r)
	if !ok {
		return
	}
	c, err := s.cloner()
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	changes, err := c.Diff(r.Context(), inst.Name)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, diffAnswer{Changes: views.NewChanges(changes)})
}

// diffAnswer is the answer of GET /api/v1/instances/{name}/diff.
type diffAnswer struct {
	Changes []views.Change `json:"changes"`
}

// revertRequest is the body of POST /api/v1/instances/{name}/revert.
type revertRequest struct {
	Path string `json:"path"`
}

// apiInstanceRevert removes one path from a stopped instance's upper: 204.
func (s *Server) apiInstanceRevert(w http.ResponseWriter, r *http.Request) {
	inst, _, ok := s.instanceFor(w, r)
	if !ok {
		return
	}
	var req revertRequest
	if err := decodeJSON(r, &req); err != nil {
		writeJSON(w, http.StatusBadRequest, apiError{Error: err.Error()})
		return
	}
	c, err := s.cloner()
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if err := c.Revert(r.Context(), inst.Name, req.Path); err != nil {
		s.failErr(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

package web

import (
	"net/http"
	"strconv"
	"strings"
)

// createRequest is the body of POST /api/v1/instances.
type createRequest struct {
	Name      string   `json:"name"`
	Port      int      `json:"port"` // 0 picks a free port
	Layers    []string `json:"layers"`
	Args      []string `json:"args"`
	ServerCfg string   `json:"server_cfg"`
}

// apiInstanceCreate creates an instance owned by the caller. Validation
// errors answer 4xx with {"error": ..., "field": ...}.
func (s *Server) apiInstanceCreate(w http.ResponseWriter, r *http.Request) {
	var req createRequest
	if err := decodeJSON(r, &req); err != nil {
		writeJSON(w, http.StatusBadRequest, apiError{Error: err.Error()})
		return
	}
	form := instanceForm{Name: req.Name, Layers: req.Layers, Args: strings.Join(req.Args, " "), ServerCfg: req.ServerCfg}
	if req.Port != 0 {
		form.Port = strconv.Itoa(req.Port)
	}
	spec := form.spec(who(r).User.ID)
	spec.Args = req.Args
	for _, field := range []string{"name", "port", "args"} {
		if msg, bad := form.Errors[field]; bad {
			writeJSON(w, http.StatusUnprocessableEntity, apiError{Error: msg, Field: field})
			return
		}
	}
	inst, err := s.cfg.Instances.Create(r.Context(), spec)
	if err != nil {
		s.apiFailErr(w, r, err)
		return
	}
	owners := map[int64]string{who(r).User.ID: who(r).User.Name}
	writeJSON(w, http.StatusCreated, s.describe(r.Context(), inst, ownerRole, owners))
}

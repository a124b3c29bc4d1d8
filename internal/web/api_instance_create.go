package web

import (
	"context"
	"net/http"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/roles"
)

// createRequest is the body of POST /api/v1/instances.
type createRequest struct {
	Name      string   `json:"name"`
	Port      int      `json:"port"` // 0 picks a free port
	Layers    []string `json:"layers"`
	Args      []string `json:"args"`
	ServerCfg string   `json:"server_cfg"`
	Autostart *bool    `json:"autostart"` // absent: on
	Template  string   `json:"template"`  // a template of the caller's: fills what is absent
}

// apiInstanceCreate creates an instance owned by the caller. Validation
// errors answer 4xx with {"error": ..., "field": ...}.
func (s *Server) apiInstanceCreate(w http.ResponseWriter, r *http.Request) {
	if err := s.mayCreate(r.Context(), who(r)); err != nil {
		s.failErr(w, r, err)
		return
	}
	var req createRequest
	if err := decodeJSON(r, &req); err != nil {
		writeJSON(w, http.StatusBadRequest, apiError{Error: err.Error()})
		return
	}
	// The service checks every field (FieldError names the one at fault).
	spec := instance.Spec{Name: req.Name, OwnerID: who(r).User.ID, Port: req.Port, Layers: req.Layers, Args: req.Args, ServerCfg: req.ServerCfg, Autostart: req.Autostart, Template: req.Template}
	create := s.cfg.Instances.Create
	if spec.Template != "" {
		create = func(ctx context.Context, spec instance.Spec) (instance.Instance, error) {
			return s.createFromTemplate(ctx, who(r), spec)
		}
	}
	inst, err := create(r.Context(), spec)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	owners := map[int64]string{who(r).User.ID: who(r).User.Name}
	writeJSON(w, http.StatusCreated, s.describe(r.Context(), inst, roles.Owner, owners))
}

package web

import (
	"net/http"

	"github.com/left4me/left4me/internal/instance"
)

// updateRequest is the body of PATCH /api/v1/instances/{name}; absent
// fields are kept.
type updateRequest struct {
	Port   *int      `json:"port"`
	Layers *[]string `json:"layers"`
	Args   *[]string `json:"args"`
	// Autostart: start it again after a reboot when it was running.
	Autostart *bool `json:"autostart"`
}

// apiInstanceUpdate changes port, layers or arguments (applied at the next start).
func (s *Server) apiInstanceUpdate(w http.ResponseWriter, r *http.Request) {
	inst, rl, ok := s.instanceFor(w, r)
	if !ok {
		return
	}
	var req updateRequest
	if err := decodeJSON(r, &req); err != nil {
		writeJSON(w, http.StatusBadRequest, apiError{Error: err.Error()})
		return
	}
	updated, err := s.cfg.Instances.Update(r.Context(), inst.Name, instance.Update{Port: req.Port, Layers: req.Layers, Args: req.Args, Autostart: req.Autostart})
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	owners, err := s.ownerNames(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.describe(r.Context(), updated, rl, owners))
}

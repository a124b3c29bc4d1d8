package web

import (
	"net/http"
)

// apiCfgPut replaces server.cfg from {"server_cfg": "..."}.
func (s *Server) apiCfgPut(w http.ResponseWriter, r *http.Request) {
	inst, _, ok := s.instanceFor(w, r)
	if !ok {
		return
	}
	var body cfgBody
	if err := decodeJSON(r, &body); err != nil {
		writeJSON(w, http.StatusBadRequest, apiError{Error: err.Error()})
		return
	}
	if err := s.cfg.Instances.SetServerCfg(r.Context(), inst.Name, body.ServerCfg); err != nil {
		s.failErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, cfgAnswer(body.ServerCfg))
}

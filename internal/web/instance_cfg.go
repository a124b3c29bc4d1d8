package web

import "net/http"

// cfgPage is the server.cfg editor.
type cfgPage struct {
	Name  string
	Text  string
	Error string
}

// instanceCfg shows the server.cfg editor.
func (s *Server) instanceCfg(w http.ResponseWriter, r *http.Request) {
	inst, _, ok := s.instanceFor(w, r, false)
	if !ok {
		return
	}
	text, err := s.cfg.Instances.ServerCfg(r.Context(), inst.Name)
	if err != nil {
		s.serverError(w, r, false, err)
		return
	}
	s.render(w, r, http.StatusOK, "instance_cfg", "server.cfg of "+inst.Name, cfgPage{Name: inst.Name, Text: text})
}

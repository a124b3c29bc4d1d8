package web

import (
	"net/http"

	"github.com/left4me/left4me/internal/instance"
)

// cfgBody is the JSON form of server.cfg. Warnings (in answers only,
// always a list there) say what left4me changes when it stages the text;
// a request may carry them back, they are ignored.
type cfgBody struct {
	ServerCfg string   `json:"server_cfg"`
	Warnings  []string `json:"warnings"`
}

// cfgAnswer is the answer of GET and PUT .../cfg.
func cfgAnswer(text string) cfgBody {
	return cfgBody{ServerCfg: text, Warnings: nonNil(instance.CfgWarnings(text))}
}

// apiCfgGet answers GET /api/v1/instances/{name}/cfg.
func (s *Server) apiCfgGet(w http.ResponseWriter, r *http.Request) {
	inst, _, ok := s.instanceFor(w, r)
	if !ok {
		return
	}
	text, err := s.cfg.Instances.ServerCfg(r.Context(), inst.Name)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, cfgAnswer(text))
}

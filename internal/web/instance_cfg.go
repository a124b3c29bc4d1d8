package web

import (
	"net/http"

	"github.com/left4me/left4me/internal/instance"
)

// cfgPage is the server.cfg editor.
type cfgPage struct {
	Name  string
	Text  string
	Error string // about the page as a whole (the instance is busy, ...)
	// TextError is about the text itself (instance.FieldServerCfg); it
	// is shown next to it.
	TextError string
	// Warnings say what left4me changes when it stages the text (an
	// rcon_password line is commented out: instance.CfgWarnings).
	Warnings []string
	Saved    bool // shown after a save that has warnings
}

// instanceCfg shows the server.cfg editor.
func (s *Server) instanceCfg(w http.ResponseWriter, r *http.Request) {
	inst, _, ok := s.instanceFor(w, r)
	if !ok {
		return
	}
	text, err := s.cfg.Instances.ServerCfg(r.Context(), inst.Name)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "instance_cfg", "server.cfg of "+inst.Name, cfgPage{Name: inst.Name, Text: text, Warnings: instance.CfgWarnings(text)})
}

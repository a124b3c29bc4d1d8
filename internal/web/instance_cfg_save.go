package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/left4me/left4me/internal/instance"
)

// instanceCfgSave replaces server.cfg; it is staged at the next start.
func (s *Server) instanceCfgSave(w http.ResponseWriter, r *http.Request) {
	inst, _, ok := s.instanceFor(w, r)
	if !ok {
		return
	}
	text := strings.ReplaceAll(r.PostFormValue("server_cfg"), "\r\n", "\n")
	if err := s.cfg.Instances.SetServerCfg(r.Context(), inst.Name, text); err != nil {
		a, known := answerFor(err)
		if !known {
			s.serverError(w, r, err)
			return
		}
		pg := cfgPage{Name: inst.Name, Text: text, Error: a.msg, Warnings: instance.CfgWarnings(text)}
		if a.field == instance.FieldServerCfg {
			pg.Error, pg.TextError = "", a.msg
		}
		s.render(w, r, a.status, "instance_cfg", "server.cfg of "+inst.Name, pg)
		return
	}
	if warn := instance.CfgWarnings(text); len(warn) > 0 {
		// Saved, but the operator should read what left4me will change.
		s.render(w, r, http.StatusOK, "instance_cfg", "server.cfg of "+inst.Name, cfgPage{Name: inst.Name, Text: text, Saved: true, Warnings: warn})
		return
	}
	http.Redirect(w, r, "/instances/"+url.PathEscape(inst.Name)+"?done=cfg", http.StatusSeeOther)
}

package web

import (
	"net/http"
	"net/url"

	"github.com/left4me/left4me/internal/instance"
)

// instanceUpdate saves the edit form. Changes apply at the next start.
func (s *Server) instanceUpdate(w http.ResponseWriter, r *http.Request) {
	inst, _, ok := s.instanceFor(w, r)
	if !ok {
		return
	}
	form := formFromRequest(r)
	form.Name = inst.Name
	port, err := parsePort(form.Port)
	if err == nil && port == 0 {
		port = inst.Port
	} else if err != nil {
		form.fail("port", err.Error())
	}
	args, err := splitArgs(form.Args)
	if err != nil {
		form.fail("args", err.Error())
	}
	if form.Errors != nil {
		s.showForm(w, r, http.StatusUnprocessableEntity, true, form)
		return
	}
	layers := nonNil(form.Layers)
	_, err = s.cfg.Instances.Update(r.Context(), inst.Name, instance.Update{Port: &port, Layers: &layers, Args: &args})
	if err != nil {
		status, field, ok := classify(err)
		if !ok {
			s.serverError(w, r, err)
			return
		}
		form.fail(fieldOr(field, "form"), err.Error())
		s.showForm(w, r, status, true, form)
		return
	}
	http.Redirect(w, r, "/instances/"+url.PathEscape(inst.Name)+"?done=updated", http.StatusSeeOther)
}

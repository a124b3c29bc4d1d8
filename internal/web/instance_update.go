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
	port, err := instance.ParsePort(form.Port)
	if err != nil {
		form.failErr(err)
		s.showForm(w, r, http.StatusUnprocessableEntity, true, form)
		return
	}
	if port == 0 { // left empty: keep the port
		port = inst.Port
	}
	layers, args := nonNil(form.Layers), instance.ParseArgs(form.Args)
	u := instance.Update{Port: &port, Layers: &layers, Args: &args, Autostart: form.autostart()}
	if form.WatchdogShown {
		u.Watchdog = &form.Watchdog
	}
	if form.PinsShown {
		if u.Pin, err = instance.ParsePins(form.Pins); err != nil {
			form.failErr(err)
			s.showForm(w, r, http.StatusUnprocessableEntity, true, form)
			return
		}
		u.Unpin = []string{instance.UnpinAll} // the field holds every pin
	}
	_, err = s.cfg.Instances.Update(r.Context(), inst.Name, u)
	if err != nil {
		status, ok := form.failErr(err)
		if !ok {
			s.serverError(w, r, err)
			return
		}
		s.showForm(w, r, status, true, form)
		return
	}
	http.Redirect(w, r, "/instances/"+url.PathEscape(inst.Name)+"?done=updated", http.StatusSeeOther)
}

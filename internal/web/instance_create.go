package web

import (
	"net/http"
	"net/url"
)

// instanceCreate validates the form and creates the instance. On any error
// the form comes back with the message next to its field and nothing is
// created (the service cleans up after itself).
func (s *Server) instanceCreate(w http.ResponseWriter, r *http.Request) {
	if err := s.mayCreate(r.Context(), who(r)); err != nil {
		s.failErr(w, r, err)
		return
	}
	form := formFromRequest(r)
	spec := form.spec(who(r).User.ID)
	if form.Errors == nil {
		_, err := s.cfg.Instances.Create(r.Context(), spec)
		if err == nil {
			http.Redirect(w, r, "/instances/"+url.PathEscape(spec.Name)+"?done=created", http.StatusSeeOther)
			return
		}
		status, ok := form.failErr(err)
		if !ok {
			s.serverError(w, r, err)
			return
		}
		s.showForm(w, r, status, false, form)
		return
	}
	s.showForm(w, r, http.StatusUnprocessableEntity, false, form)
}

// showForm re-renders the create or edit form with its errors.
func (s *Server) showForm(w http.ResponseWriter, r *http.Request, status int, edit bool, form instanceForm) {
	layers, err := s.cfg.Instances.Layers(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	title := "New instance"
	if edit {
		title = "Edit " + form.Name
	}
	pg := formPage{Edit: edit, Form: form, Available: layers, Unbuilt: s.unbuiltLayers(r.Context(), layers), Error: form.Errors["form"]}
	if rep, err := s.stackConflicts(r.Context(), form.Layers); err != nil {
		s.log.Warn("stack conflicts", "err", err)
	} else {
		pg.Stack = &rep
	}
	s.render(w, r, status, "instance_form", title, pg)
}

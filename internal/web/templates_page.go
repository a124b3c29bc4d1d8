package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/views"
)

// templatesPage lists the caller's templates.
type templatesPage struct {
	Templates []views.Template
}

// templateList shows the templates the caller may use.
func (s *Server) templateList(w http.ResponseWriter, r *http.Request) {
	list, err := s.templatesFor(r.Context(), who(r))
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "templates", "Templates", templatesPage{Templates: list})
}

// templateCreate creates an instance from a template (form: name, port).
func (s *Server) templateCreate(w http.ResponseWriter, r *http.Request) {
	port, err := instance.ParsePort(r.PostFormValue("port"))
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	spec := instance.Spec{Name: strings.TrimSpace(r.PostFormValue("name")), Port: port, Template: r.PathValue("template")}
	if _, err := s.createFromTemplate(r.Context(), who(r), spec); err != nil {
		s.failErr(w, r, err)
		return
	}
	http.Redirect(w, r, "/instances/"+url.PathEscape(spec.Name)+"?done=created", http.StatusSeeOther)
}

// templateDelete removes a template.
func (s *Server) templateDelete(w http.ResponseWriter, r *http.Request) {
	if err := s.removeTemplate(r, r.PathValue("template")); err != nil {
		s.failErr(w, r, err)
		return
	}
	http.Redirect(w, r, "/templates", http.StatusSeeOther)
}

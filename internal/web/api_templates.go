package web

import (
	"net/http"

	"github.com/left4me/left4me/internal/views"
)

// saveTemplateRequest is the body of POST /api/v1/instances/{name}/template.
type saveTemplateRequest struct {
	Template string `json:"template"`
	Files    bool   `json:"files"` // also the upper's files
}

// apiTemplateSave saves an instance as a template of the caller: 201.
func (s *Server) apiTemplateSave(w http.ResponseWriter, r *http.Request) {
	inst, _, ok := s.instanceFor(w, r)
	if !ok {
		return
	}
	var req saveTemplateRequest
	if err := decodeJSON(r, &req); err != nil {
		writeJSON(w, http.StatusBadRequest, apiError{Error: err.Error()})
		return
	}
	c, err := s.cloner()
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	t, err := c.SaveTemplate(r.Context(), inst.Name, req.Template, req.Files, who(r).User.ID)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, views.NewTemplate(t, views.Names{who(r).User.ID: who(r).User.Name}))
}

// apiTemplateList lists the templates the caller may use.
func (s *Server) apiTemplateList(w http.ResponseWriter, r *http.Request) {
	list, err := s.templatesFor(r.Context(), who(r))
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list)
}

// apiTemplateDelete removes a template the caller may use: 204.
func (s *Server) apiTemplateDelete(w http.ResponseWriter, r *http.Request) {
	if err := s.removeTemplate(r, r.PathValue("template")); err != nil {
		s.failErr(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// removeTemplate removes a template the caller may use.
func (s *Server) removeTemplate(r *http.Request, name string) error {
	if _, err := s.templateFor(r.Context(), who(r), name); err != nil {
		return err
	}
	c, err := s.cloner()
	if err != nil {
		return err
	}
	return c.RemoveTemplate(r.Context(), name)
}

package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/views"
)

// instanceClone clones the instance from the instance page's form (name,
// port) and shows the clone.
func (s *Server) instanceClone(w http.ResponseWriter, r *http.Request) {
	src, _, ok := s.instanceFor(w, r)
	if !ok {
		return
	}
	port, err := instance.ParsePort(r.PostFormValue("port"))
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	if _, err := s.cloneInto(r.Context(), who(r), src.Name, name, port); err != nil {
		s.failErr(w, r, err)
		return
	}
	http.Redirect(w, r, "/instances/"+url.PathEscape(name)+"?done=cloned", http.StatusSeeOther)
}

// instanceTemplateSave saves the instance as a template of the caller.
func (s *Server) instanceTemplateSave(w http.ResponseWriter, r *http.Request) {
	inst, _, ok := s.instanceFor(w, r)
	if !ok {
		return
	}
	c, err := s.cloner()
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	name := strings.TrimSpace(r.PostFormValue("template"))
	if _, err := c.SaveTemplate(r.Context(), inst.Name, name, r.PostFormValue("files") != "", who(r).User.ID); err != nil {
		s.failErr(w, r, err)
		return
	}
	http.Redirect(w, r, "/templates?done=template", http.StatusSeeOther)
}

// diffPage is the "what differs" page of an instance.
type diffPage struct {
	Name      string
	Changes   []views.Change
	MayRevert bool
	Running   bool
}

// instanceDiff shows what the instance's upper changes.
func (s *Server) instanceDiff(w http.ResponseWriter, r *http.Request) {
	inst, rl, ok := s.instanceFor(w, r)
	if !ok {
		return
	}
	c, err := s.cloner()
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	changes, err := c.Diff(r.Context(), inst.Name)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	pg := diffPage{Name: inst.Name, Changes: views.NewChanges(changes), MayRevert: s.may(rl, "POST /instances/{name}/revert")}
	if st, err := s.cfg.States.Status(r.Context(), inst.Name); err == nil {
		pg.Running = st.State != instance.Stopped && st.State != instance.Failed
	}
	s.render(w, r, http.StatusOK, "instance_diff", "What differs in "+inst.Name, pg)
}

// may reports whether rl grants the permission the route pattern declares.
func (s *Server) may(rl role, pattern string) bool {
	for _, rt := range s.routes {
		if rt.pattern == pattern {
			p := rt.access.permission()
			return p != "" && rl.May(p)
		}
	}
	return false
}

// instanceRevert removes one path from the stopped instance's upper.
func (s *Server) instanceRevert(w http.ResponseWriter, r *http.Request) {
	inst, _, ok := s.instanceFor(w, r)
	if !ok {
		return
	}
	c, err := s.cloner()
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if err := c.Revert(r.Context(), inst.Name, r.PostFormValue("path")); err != nil {
		s.failErr(w, r, err)
		return
	}
	http.Redirect(w, r, "/instances/"+url.PathEscape(inst.Name)+"/diff?done=reverted", http.StatusSeeOther)
}

package web

import "net/http"

// deletePage is the delete confirmation.
type deletePage struct {
	Name  string
	Error string
}

// instanceDeleteConfirm asks the owner to type the instance's name.
func (s *Server) instanceDeleteConfirm(w http.ResponseWriter, r *http.Request) {
	inst, _, ok := s.instanceFor(w, r)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "instance_delete", "Delete "+inst.Name, deletePage{Name: inst.Name})
}

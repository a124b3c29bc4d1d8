package web

import "net/http"

// apiInstanceDelete stops and deletes an instance (owner or admin): 204.
func (s *Server) apiInstanceDelete(w http.ResponseWriter, r *http.Request) {
	inst, _, ok := s.instanceFor(w, r)
	if !ok {
		return
	}
	if err := s.cfg.Instances.Delete(r.Context(), inst.Name); err != nil {
		s.failErr(w, r, err)
		return
	}
	s.log.Info("instance deleted", "instance", inst.Name, "user", who(r).User.Name)
	w.WriteHeader(http.StatusNoContent)
}

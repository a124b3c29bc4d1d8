package web

import "net/http"

// apiJobGet answers one job with its log.
func (s *Server) apiJobGet(w http.ResponseWriter, r *http.Request) {
	j, ok := s.jobFor(w, r)
	if !ok {
		return
	}
	names, err := s.ownerNames(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewJob(j, names))
}

package web

import "net/http"

// apiJobList answers the jobs the caller may see (?state= and ?kind= filter).
func (s *Server) apiJobList(w http.ResponseWriter, r *http.Request) {
	if !s.jobsOn(w, r) {
		return
	}
	list, err := s.listJobs(r.Context(), r, 100)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"jobs": list})
}

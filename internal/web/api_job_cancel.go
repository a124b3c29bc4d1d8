package web

import "net/http"

// apiJobCancel cancels a job and answers it as it is now.
func (s *Server) apiJobCancel(w http.ResponseWriter, r *http.Request) {
	j, ok := s.jobFor(w, r)
	if !ok {
		return
	}
	msg, err := s.cancelJob(r.Context(), j)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if j, err = s.cfg.Jobs.Get(r.Context(), j.ID); err != nil {
		s.serverError(w, r, err)
		return
	}
	names, err := s.ownerNames(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"message": msg, "job": viewJob(j, names)})
}

package web

import (
	"net/http"
	"strconv"
)

// jobCancel cancels a queued, retrying or running job and shows it again.
func (s *Server) jobCancel(w http.ResponseWriter, r *http.Request) {
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
	s.render(w, r, http.StatusOK, "job", "Job "+strconv.FormatInt(j.ID, 10), jobPage{J: viewJob(j, names), Message: msg})
}

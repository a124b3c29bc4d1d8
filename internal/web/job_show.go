package web

import (
	"net/http"
	"strconv"
)

// jobPage is one job with its log.
type jobPage struct {
	J       jobView
	Message string
}

// jobShow shows a job: state, progress, attempts, errors and log. The
// page's script polls the job's JSON while it is unfinished.
func (s *Server) jobShow(w http.ResponseWriter, r *http.Request) {
	j, ok := s.jobFor(w, r)
	if !ok {
		return
	}
	names, err := s.ownerNames(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "job", "Job "+strconv.FormatInt(j.ID, 10), jobPage{J: viewJob(j, names)})
}

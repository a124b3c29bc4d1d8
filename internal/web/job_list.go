package web

import "net/http"

// jobsPage is the jobs list.
type jobsPage struct {
	Jobs    []jobView
	IsAdmin bool
	Active  bool // some job is not finished: the page polls
}

// jobList shows the newest jobs with their state and progress.
func (s *Server) jobList(w http.ResponseWriter, r *http.Request) {
	if !s.jobsOn(w, r, false) {
		return
	}
	list, err := s.listJobs(r.Context(), r, 100)
	if err != nil {
		s.serverError(w, r, false, err)
		return
	}
	pg := jobsPage{Jobs: list, IsAdmin: who(r).User.IsAdmin}
	for _, j := range list {
		if !j.State.Finished() {
			pg.Active = true
		}
	}
	s.render(w, r, http.StatusOK, "jobs", "Jobs", pg)
}

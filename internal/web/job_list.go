package web

import (
	"net/http"

	"github.com/left4me/left4me/internal/content"
	"github.com/left4me/left4me/internal/jobs"
	"github.com/left4me/left4me/internal/notify"
	"github.com/left4me/left4me/internal/workshop"
)

// jobsPage is the jobs list.
type jobsPage struct {
	Jobs    []jobView
	IsAdmin bool
	Active  bool // some job is not finished: the page polls
	// The filter: one state and one kind, "" for any.
	State, Kind string
	States      []jobs.State
	Kinds       []string
}

// jobList shows the newest jobs with their state and progress.
func (s *Server) jobList(w http.ResponseWriter, r *http.Request) {
	if !s.jobsOn(w, r) {
		return
	}
	list, err := s.listJobs(r.Context(), r, 100)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	pg := jobsPage{Jobs: list, IsAdmin: who(r).User.IsAdmin, State: r.URL.Query().Get("state"), Kind: r.URL.Query().Get("kind"),
		States: jobs.AllStates(), Kinds: []string{content.KindInstall, content.KindOverlayBuild, content.KindGC, workshop.KindDownload, workshop.KindRefresh, notify.KindDelivery}}
	for _, j := range list {
		if !j.State.Finished() {
			pg.Active = true
		}
	}
	s.render(w, r, http.StatusOK, "jobs", "Jobs", pg)
}

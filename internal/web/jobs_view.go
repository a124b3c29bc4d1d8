package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/left4me/left4me/internal/jobs"
	"github.com/left4me/left4me/internal/views"
)

// jobView is a job as pages and the API show it (views.Job, the shape the
// CLI's --json shares).
type jobView = views.Job

// viewJob builds the view of one job; names maps user ids to names.
func viewJob(j jobs.Job, names views.Names) jobView { return views.NewJob(j, names) }

// jobsOn answers false (after writing a 404) when the panel has no job queue.
func (s *Server) jobsOn(w http.ResponseWriter, r *http.Request) bool {
	if s.cfg.Jobs == nil {
		s.fail(w, r, http.StatusNotFound, "Background jobs are not set up on this panel.")
		return false
	}
	return true
}

// jobFor loads the job named in the path. Administrators see every job,
// other users only the jobs they asked for; another user's job answers 404
// exactly like a missing one. On false the response has been written.
func (s *Server) jobFor(w http.ResponseWriter, r *http.Request) (jobs.Job, bool) {
	if !s.jobsOn(w, r) {
		return jobs.Job{}, false
	}
	raw := r.PathValue("id")
	id, ok := pathID(r, "id")
	if !ok {
		s.fail(w, r, http.StatusNotFound, "No job "+raw+".")
		return jobs.Job{}, false
	}
	j, err := s.cfg.Jobs.Get(r.Context(), id)
	if errors.Is(err, jobs.ErrNotFound) {
		s.fail(w, r, http.StatusNotFound, "No job "+raw+".")
		return jobs.Job{}, false
	}
	if err != nil {
		s.serverError(w, r, err)
		return jobs.Job{}, false
	}
	p := who(r)
	if !p.User.IsAdmin && j.UserID != p.User.ID {
		s.fail(w, r, http.StatusNotFound, "No job "+raw+".")
		return jobs.Job{}, false
	}
	return j, true
}

// listJobs lists the jobs the principal may see, newest first.
func (s *Server) listJobs(ctx context.Context, r *http.Request, limit int) ([]jobView, error) {
	p := who(r)
	f := jobs.Filter{Limit: limit}
	if st := r.URL.Query().Get("state"); st != "" {
		if parsed, err := jobs.ParseState(st); err == nil {
			f.State = parsed
		}
	}
	f.Kind = r.URL.Query().Get("kind")
	if !p.User.IsAdmin {
		f.UserID = p.User.ID
	}
	list, err := s.cfg.Jobs.List(ctx, f)
	if err != nil {
		return nil, err
	}
	names, err := s.ownerNames(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]jobView, 0, len(list))
	for _, j := range list {
		out = append(out, viewJob(j, names))
	}
	return out, nil
}

// cancelJob cancels j; a job that already finished is not an error for
// the user, only a message.
func (s *Server) cancelJob(ctx context.Context, j jobs.Job) (msg string, err error) {
	err = s.cfg.Jobs.Cancel(ctx, j.ID)
	switch {
	case errors.Is(err, jobs.ErrFinished):
		return "The job had already finished.", nil
	case err != nil:
		return "", err
	case j.State == jobs.StateRunning:
		return "Cancel requested; the job stops when its current step returns.", nil
	}
	return "Job cancelled.", nil
}

// jobURL is a job's page.
func jobURL(id int64) string { return "/jobs/" + strconv.FormatInt(id, 10) }

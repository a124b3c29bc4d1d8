package web

import (
	"errors"
	"io"
	"net/http"
	"net/url"

	"github.com/left4me/left4me/internal/canary"
	"github.com/left4me/left4me/internal/content"
)

// rollbackRequest is the body of POST /api/v1/installation/rollback.
type rollbackRequest struct {
	// Generation is the kept generation to make the default again; empty
	// is the one before the current default.
	Generation string `json:"generation"`
}

// rollbackAnswer says which generation new starts use now.
type rollbackAnswer struct {
	Default  string `json:"default"`
	Previous string `json:"previous"`
	// Stale are the running instances on another generation than the
	// one their next start picks: the rolling restart moves them.
	Stale []string `json:"stale"`
}

// apiRollback makes an older kept installation generation the default of
// new starts again (content.Rollback); instances move at their next
// restart.
func (s *Server) apiRollback(w http.ResponseWriter, r *http.Request) {
	if !s.contentOn(w, r) {
		return
	}
	var req rollbackRequest
	if err := decodeJSON(r, &req); err != nil && !errors.Is(err, io.EOF) {
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	from, to, err := content.Rollback(s.cfg.Root, req.Generation)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	stale, err := content.StaleRunning(r.Context(), s.cfg.Root, s.cfg.Instances)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rollbackAnswer{Default: to, Previous: from, Stale: nonNil(stale)})
}

// installationRollback is the Installation page's "Make default" button.
func (s *Server) installationRollback(w http.ResponseWriter, r *http.Request) {
	if !s.contentOn(w, r) {
		return
	}
	if _, _, err := content.Rollback(s.cfg.Root, r.PostFormValue("generation")); err != nil {
		s.failErr(w, r, err)
		return
	}
	http.Redirect(w, r, "/installation?done=default", http.StatusSeeOther)
}

// canaryRequest is the body of POST /api/v1/installation/canary.
type canaryRequest struct {
	Instance string `json:"instance"`
	// Generation is the kept generation to try; empty is the newest.
	Generation string `json:"generation"`
}

// apiCanary queues a canary of an existing installation generation.
func (s *Server) apiCanary(w http.ResponseWriter, r *http.Request) {
	if !s.contentOn(w, r) || !s.jobsOn(w, r) {
		return
	}
	var req canaryRequest
	if err := decodeJSON(r, &req); err != nil {
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	id, dup, err := s.queueCanary(r, canary.Args{Instance: req.Instance, Generation: req.Generation})
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	writeQueued(w, id, dup)
}

// installationCanary is the Installation page's "Try on" form.
func (s *Server) installationCanary(w http.ResponseWriter, r *http.Request) {
	if !s.contentOn(w, r) || !s.jobsOn(w, r) {
		return
	}
	id, dup, err := s.queueCanary(r, canary.Args{Instance: r.PostFormValue("instance"), Generation: r.PostFormValue("generation")})
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	done := "queued"
	if dup {
		done = "dup"
	}
	http.Redirect(w, r, jobURL(id)+"?done="+url.QueryEscape(done), http.StatusSeeOther)
}

// queueCanary checks a and queues its job (canary.Check, canary.Enqueue).
func (s *Server) queueCanary(r *http.Request, a canary.Args) (int64, bool, error) {
	if err := canary.Check(r.Context(), s.cfg.Root, s.cfg.Instances, a); err != nil {
		return 0, false, err
	}
	return canary.Enqueue(r.Context(), s.cfg.Jobs, a, who(r).User.ID)
}

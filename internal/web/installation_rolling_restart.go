package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/left4me/left4me/internal/schedule"
)

// rollingRestart queues the rolling restart (schedule.RollingArgs) and
// shows its job: the running instances on an older generation are
// restarted each when nobody plays on it, at most "parallel" at once.
func (s *Server) rollingRestart(w http.ResponseWriter, r *http.Request) {
	if !s.contentOn(w, r) || !s.jobsOn(w, r) || !s.schedulesOn(w, r) {
		return
	}
	sp := schedule.RollingSpec{MaxWait: r.PostFormValue("max_wait"), OnTimeout: r.PostFormValue("on_timeout")}
	if p := strings.TrimSpace(r.PostFormValue("parallel")); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil {
			s.fail(w, r, http.StatusUnprocessableEntity, "parallel: "+p+" is not a number of instances")
			return
		}
		sp.Parallel = n
	}
	id, dup, err := s.cfg.Schedules.EnqueueRollingRestart(r.Context(), sp, who(r).User.ID)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	done := "queued"
	if dup {
		done = "dup"
	}
	http.Redirect(w, r, jobURL(id)+"?done="+done, http.StatusSeeOther)
}

package web

import (
	"net/http"

	"github.com/left4me/left4me/internal/canary"
	"github.com/left4me/left4me/internal/content"
)

// installationInstall queues an install/update job (one at a time: a
// second click while one is queued or running shows that job).
func (s *Server) installationInstall(w http.ResponseWriter, r *http.Request) {
	if !s.contentOn(w, r) || !s.jobsOn(w, r) {
		return
	}
	args := content.InstallArgs{Validate: r.PostFormValue("validate") == "1", Canary: r.PostFormValue("canary")}
	if args.Canary != "" {
		if err := canary.Check(r.Context(), s.cfg.Root, s.cfg.Instances, canary.Args{Instance: args.Canary}); err != nil {
			s.failErr(w, r, err)
			return
		}
	}
	id, dup, err := content.EnqueueInstall(r.Context(), s.cfg.Jobs, args, who(r).User.ID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	done := "queued"
	if dup {
		done = "dup"
	}
	http.Redirect(w, r, jobURL(id)+"?done="+done, http.StatusSeeOther)
}

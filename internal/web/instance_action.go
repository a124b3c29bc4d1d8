package web

import (
	"net/http"
	"net/url"

	"github.com/left4me/left4me/internal/instance"
)

// instanceAction returns the handler of one power action button.
func (s *Server) instanceAction(action instance.Action) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		inst, _, ok := s.instanceFor(w, r)
		if !ok {
			return
		}
		if err := s.cfg.Instances.Do(r.Context(), action, inst.Name); err != nil {
			a, known := answerFor(err)
			status := a.status
			if !known {
				// The operator needs the reason (a mount refused, a crash
				// at start-up); it is logged too.
				s.log.Error("instance "+action.String(), "instance", inst.Name, "err", err)
				status = http.StatusInternalServerError
			}
			s.fail(w, r, status, "Could not "+action.String()+" "+inst.Name+": "+err.Error())
			return
		}
		s.log.Info("instance "+action.String(), "instance", inst.Name, "user", who(r).User.Name)
		http.Redirect(w, r, "/instances/"+url.PathEscape(inst.Name)+"?done="+action.Past(), http.StatusSeeOther)
	}
}

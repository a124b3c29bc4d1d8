package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
)

// lifecycle runs one of the power actions on an instance.
func (s *Server) lifecycle(ctx context.Context, action, name string) error {
	switch action {
	case "start":
		return s.cfg.Instances.Start(ctx, name)
	case "stop":
		return s.cfg.Instances.Stop(ctx, name)
	case "restart":
		return s.cfg.Instances.Restart(ctx, name)
	case "reset":
		return s.cfg.Instances.Reset(ctx, name)
	}
	return fmt.Errorf("unknown action %q", action)
}

// actionDone is the flash key of each action.
var actionDone = map[string]string{"start": "started", "stop": "stopped", "restart": "restarted", "reset": "reset"}

// instanceAction returns the handler of one power action button.
func (s *Server) instanceAction(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		inst, _, ok := s.instanceFor(w, r, false)
		if !ok {
			return
		}
		if err := s.lifecycle(r.Context(), action, inst.Name); err != nil {
			status, _, known := classify(err)
			if !known {
				// The operator needs the reason (a mount refused, a crash
				// at start-up); it is logged too.
				s.log.Error("instance "+action, "instance", inst.Name, "err", err)
				status = http.StatusInternalServerError
			}
			s.fail(w, r, false, status, "Could not "+action+" "+inst.Name+": "+err.Error())
			return
		}
		s.log.Info("instance "+action, "instance", inst.Name, "user", who(r).User.Name)
		http.Redirect(w, r, "/instances/"+url.PathEscape(inst.Name)+"?done="+actionDone[action], http.StatusSeeOther)
	}
}

package web

import (
	"net/http"

	"github.com/left4me/left4me/internal/instance"
)

// apiInstanceAction returns the handler of POST /api/v1/instances/{name}/ACTION;
// it answers the instance's new state.
func (s *Server) apiInstanceAction(action instance.Action) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		inst, rl, ok := s.instanceFor(w, r)
		if !ok {
			return
		}
		if err := s.cfg.Instances.Do(r.Context(), action, inst.Name); err != nil {
			s.failErr(w, r, err)
			return
		}
		s.log.Info("instance "+action.String(), "instance", inst.Name, "user", who(r).User.Name)
		owners, err := s.ownerNames(r.Context())
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, s.describe(r.Context(), inst, rl, owners))
	}
}

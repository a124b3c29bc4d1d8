package web

import (
	"errors"
	"io"
	"net/http"

	"github.com/left4me/left4me/internal/canary"
	"github.com/left4me/left4me/internal/content"
)

// apiInstall queues an install/update of the game ({"validate": true}
// checks every file), or answers the one already queued or running.
func (s *Server) apiInstall(w http.ResponseWriter, r *http.Request) {
	if !s.contentOn(w, r) || !s.jobsOn(w, r) {
		return
	}
	var args content.InstallArgs
	if err := decodeJSON(r, &args); err != nil && !errors.Is(err, io.EOF) {
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
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
	writeQueued(w, id, dup)
}

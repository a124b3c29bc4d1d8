package web

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/left4me/left4me/internal/rcon"
)

// instanceUnshare withdraws a share (admins only) and rotates the
// instance's RCON password: the user may have read it (an owner's reply,
// or before issue 15's policy) and could otherwise keep using it on the
// game port. The new password is stored at once and set by the launch cfg
// at the next start; on a running server it is also set live, which closes
// every RCON connection authenticated with the old one (docs/srcds.md §8),
// the panel's too: its console and live poller dial again with the new
// password.
func (s *Server) instanceUnshare(w http.ResponseWriter, r *http.Request) {
	inst, _, ok := s.instanceFor(w, r)
	if !ok {
		return
	}
	uid, ok := pathID(r, "user")
	if !ok {
		s.fail(w, r, http.StatusNotFound, "No such account.")
		return
	}
	if err := s.cfg.Store.UnshareInstance(r.Context(), inst.Name, uid); err != nil {
		s.serverError(w, r, err)
		return
	}
	old, rotated, err := s.cfg.Instances.RotateRCONPassword(r.Context(), inst.Name)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	err = s.console().SetPassword(r.Context(), old, rotated.RCONPassword)
	switch {
	case err == nil:
		s.log.InfoContext(r.Context(), "RCON password rotated and set live", slog.String("instance", inst.Name))
	case errors.Is(err, rcon.ErrNotRunning), errors.Is(err, rcon.ErrUnavailable):
		s.log.InfoContext(r.Context(), "RCON password rotated; applied at the next start", slog.String("instance", inst.Name))
	default:
		s.log.WarnContext(r.Context(), "RCON password rotated but perhaps not set live; restart the instance to be sure the old one no longer works",
			slog.String("instance", inst.Name), slog.Any("error", err))
	}
	http.Redirect(w, r, "/instances/"+url.PathEscape(inst.Name)+"?done=shared#sharing", http.StatusSeeOther)
}

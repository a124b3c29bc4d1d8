package web

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/left4me/left4me/internal/rcon"
	"github.com/left4me/left4me/internal/roles"
	"github.com/left4me/left4me/internal/store"
)

// instanceUnshare withdraws a share (roles.Share) and rotates the
// instance's RCON password (roles.Withdraw says why). On a running server
// the new password is set live, which closes every RCON connection
// authenticated with the old one (docs/srcds.md §8), the panel's too: its
// console and live poller dial again with the new password.
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
	u, err := s.cfg.Store.UserByID(r.Context(), uid)
	if errors.Is(err, store.ErrNotFound) {
		s.fail(w, r, http.StatusNotFound, "No such account.")
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if !s.withdraw(w, r, inst.Name, u.Name) {
		return
	}
	http.Redirect(w, r, "/instances/"+url.PathEscape(inst.Name)+"?done=shared#sharing", http.StatusSeeOther)
}

// withdraw withdraws the share of the request's instance with userName
// (roles.Withdraw) and logs how the rotated RCON password was applied. On
// false the response has been written.
func (s *Server) withdraw(w http.ResponseWriter, r *http.Request, name, userName string) bool {
	inst, err := s.cfg.Instances.Get(r.Context(), name)
	if err == nil {
		var liveErr error
		_, liveErr, err = roles.Withdraw(r.Context(), s.cfg.Store, s.cfg.Instances, s.console(), inst, userName)
		if err == nil {
			s.logRotation(r, inst.Name, liveErr)
		}
	}
	if err != nil {
		s.failErr(w, r, err)
		return false
	}
	s.log.Info("instance share withdrawn", "instance", inst.Name, "user", userName, "by", who(r).User.Name)
	return true
}

// logRotation says how an instance's rotated RCON password was applied.
func (s *Server) logRotation(r *http.Request, name string, liveErr error) {
	switch {
	case liveErr == nil:
		s.log.InfoContext(r.Context(), "RCON password rotated and set live", slog.String("instance", name))
	case errors.Is(liveErr, rcon.ErrNotRunning), errors.Is(liveErr, rcon.ErrUnavailable):
		s.log.InfoContext(r.Context(), "RCON password rotated; applied at the next start", slog.String("instance", name))
	default:
		s.log.WarnContext(r.Context(), "RCON password rotated but perhaps not set live; restart the instance to be sure the old one no longer works",
			slog.String("instance", name), slog.Any("error", liveErr))
	}
}

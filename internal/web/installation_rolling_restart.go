package web

import (
	"net/http"
	"strings"

	"github.com/left4me/left4me/internal/content"
)

// rollingRestart runs the rolling restart (content.RestartStale): the
// running instances on an older generation of the installation or of a
// layer, one after another. It is synchronous and stops at the first
// failure.
func (s *Server) rollingRestart(w http.ResponseWriter, r *http.Request) {
	if !s.contentOn(w, r) {
		return
	}
	ctx := r.Context()
	var msg, failure string
	names, done, err := content.RestartStale(ctx, s.cfg.Root, s.cfg.Instances, content.NopProgress{})
	switch {
	case err != nil && names == nil:
		s.serverError(w, r, err)
		return
	case err != nil:
		s.log.Warn("rolling restart", "err", err, "user", who(r).User.Name)
		failure = "The " + err.Error() + "."
		if len(done) > 0 {
			msg = "Restarted " + joinNames(done) + " before the failure."
		}
	case len(names) == 0:
		msg = "No running instance is on an older generation; nothing to restart."
	default:
		s.log.Info("rolling restart", "instances", names, "user", who(r).User.Name)
		msg = "Restarted " + joinNames(done) + " one after another; they now run the newest generations."
	}
	pg, err := s.installView(ctx)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	pg.Message, pg.Error = msg, failure
	status := http.StatusOK
	if failure != "" {
		status = http.StatusConflict
	}
	s.render(w, r, status, "installation", "Installation", pg)
}

// joinNames lists names for a sentence ("a, b and c").
func joinNames(names []string) string {
	switch len(names) {
	case 0:
		return "no instance"
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

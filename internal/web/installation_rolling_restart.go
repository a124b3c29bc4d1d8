package web

import (
	"net/http"
	"strings"
)

// rollingRestart restarts, one after another, the running instances that
// run on an older generation of the installation or of a layer; stopped
// ones are left alone (they pick the newest generations when they start).
// It is synchronous and stops at the first failure.
func (s *Server) rollingRestart(w http.ResponseWriter, r *http.Request) {
	if !s.contentOn(w, r, false) {
		return
	}
	ctx := r.Context()
	pg, err := s.installView(ctx)
	if err != nil {
		s.serverError(w, r, false, err)
		return
	}
	names := pg.RollingCandidates()
	var done []string
	for _, name := range names {
		if err := s.cfg.Instances.Restart(ctx, name); err != nil {
			s.log.Warn("rolling restart", "instance", name, "err", err)
			pg.Error = "Rolling restart stopped at " + name + ": " + err.Error()
			break
		}
		done = append(done, name)
	}
	switch {
	case len(names) == 0:
		pg.Message = "No running instance is on an older generation; nothing to restart."
	case pg.Error == "":
		pg.Message = "Restarted " + joinNames(done) + " one after another; they now run the newest generations."
	case len(done) > 0:
		pg.Message = "Restarted " + joinNames(done) + " before the failure."
	}
	fresh, err := s.installView(ctx)
	if err != nil {
		s.serverError(w, r, false, err)
		return
	}
	fresh.Message, fresh.Error = pg.Message, pg.Error
	status := http.StatusOK
	if pg.Error != "" {
		status = http.StatusConflict
	}
	s.render(w, r, status, "installation", "Installation", fresh)
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

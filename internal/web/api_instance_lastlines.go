package web

import "context"

// withLastLines adds the last console lines to a failed instance's view
// (views.Instance.AddLastLines: docs/lifecycle.md rule 6, a crash reaches
// the supervisor and the unit ends failed; a client sees why).
func (s *Server) withLastLines(ctx context.Context, v instanceView) instanceView {
	if s.cfg.Logs == nil {
		return v
	}
	v.AddLastLines(ctx, s.logsFor(v.Role))
	if v.LastLinesError != "" {
		s.log.Warn("last console lines of a failed instance", "instance", v.Name, "err", v.LastLinesError)
	}
	return v
}

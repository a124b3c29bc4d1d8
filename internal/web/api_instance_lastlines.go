package web

import (
	"context"

	"github.com/left4me/left4me/internal/instance"
)

// failedLogLines is how many console lines the API adds to a failed
// instance, so that a client sees why it failed (docs/lifecycle.md rule 6:
// a crash reaches the supervisor and the unit ends failed).
const failedLogLines = 20

// instanceDetail is an instance as GET /api/v1/instances/{name} shows it:
// the list's fields and, for a failed instance, its last console lines.
type instanceDetail struct {
	instanceView
	LastLines []string `json:"last_lines,omitempty"`
}

// withLastLines adds the last console lines to a failed instance's view.
// A log that cannot be read leaves them out: the state is still shown.
func (s *Server) withLastLines(ctx context.Context, v instanceView) instanceDetail {
	d := instanceDetail{instanceView: v}
	if v.State != instance.Failed || s.cfg.Logs == nil {
		return d
	}
	lines, err := s.cfg.Logs.Tail(ctx, v.Name, failedLogLines)
	if err != nil {
		s.log.Warn("last console lines of a failed instance", "instance", v.Name, "err", err)
		return d
	}
	d.LastLines = lines
	return d
}

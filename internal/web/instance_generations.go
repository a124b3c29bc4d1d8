package web

import (
	"github.com/left4me/left4me/internal/content"
)

// staleOf lists what a restart of instance name would move it to
// (content.StackOf: its pins, else the default generations), for the views
// of one instance; nil when nothing, or when the panel has no state root.
func (s *Server) staleOf(name string) []string {
	if s.cfg.Root == "" {
		return nil
	}
	st, ok, err := content.StackOf(s.cfg.Root, name)
	if err != nil {
		s.log.Warn("generations of an instance", "instance", name, "err", err)
		return nil
	}
	if !ok {
		return nil
	}
	var out []string
	for _, l := range st.Stale {
		out = append(out, l.String())
	}
	return out
}

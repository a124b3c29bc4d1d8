package web

import (
	"context"
	"slices"

	"github.com/left4me/left4me/internal/instance"
)

// unbuiltLayers names the content layers that exist but have no
// generation yet (a script layer never built, an upload layer without an
// upload): the instance form lists them disabled with a link to build them
// rather than leaving them out without a word.
func (s *Server) unbuiltLayers(ctx context.Context, available []instance.Layer) []string {
	if s.cfg.Content == nil {
		return nil
	}
	all, err := s.cfg.Content.Layers(ctx)
	if err != nil {
		s.log.Warn("list layers for the instance form", "err", err)
		return nil
	}
	var out []string
	for _, l := range all {
		if l.Newest == "" && !slices.ContainsFunc(available, func(a instance.Layer) bool { return a.ID == l.ID }) {
			out = append(out, l.ID)
		}
	}
	return out
}

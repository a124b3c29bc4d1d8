package web

import (
	"net/http"

	"github.com/left4me/left4me/internal/content"
	"github.com/left4me/left4me/internal/views"
)

// apiLayers answers the content layers instances may stack: those with a
// generation, each as views.Layer (the shape of `left4me overlay list
// --json`). Without the content pipeline only what is on disk is known:
// the id and the newest generation.
func (s *Server) apiLayers(w http.ResponseWriter, r *http.Request) {
	layers, err := s.cfg.Instances.Layers(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	known := map[string]content.LayerInfo{}
	if s.cfg.Content != nil {
		all, err := s.cfg.Content.Layers(r.Context())
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		for _, l := range all {
			known[l.ID] = l
		}
	}
	visible, err := s.visibleNames(r.Context(), who(r))
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	out := make([]views.Layer, 0, len(layers))
	for _, l := range layers {
		li, ok := known[l.ID]
		if !ok {
			li = content.LayerInfo{Generations: []string{l.Generation}, Newest: l.Generation}
			li.ID = l.ID
		}
		li.UsedBy = onlyVisible(li.UsedBy, visible)
		out = append(out, views.NewLayer(li))
	}
	writeJSON(w, http.StatusOK, map[string]any{"layers": out})
}

package web

import (
	"net/http"

	"github.com/left4me/left4me/internal/content"
)

// layersPage is the layers page: every layer with its generations and,
// for administrators, the forms that create layers.
type layersPage struct {
	Layers   []content.LayerInfo
	IsAdmin  bool
	Workshop bool // Workshop layers can be added
	Script   layerForm
	Upload   layerForm
	WS       layerForm
}

// layerList shows the content layers.
func (s *Server) layerList(w http.ResponseWriter, r *http.Request) {
	if !s.contentOn(w, r) {
		return
	}
	s.showLayers(w, r, http.StatusOK, layersPage{Upload: layerForm{Path: "left4dead2/"}})
}

// showLayers renders the layers page with pg's forms.
func (s *Server) showLayers(w http.ResponseWriter, r *http.Request, status int, pg layersPage) {
	layers, err := s.cfg.Content.Layers(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	visible, err := s.visibleNames(r.Context(), who(r))
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	for i := range layers {
		layers[i].UsedBy = onlyVisible(layers[i].UsedBy, visible)
	}
	pg.Layers, pg.IsAdmin, pg.Workshop = layers, who(r).User.IsAdmin, s.cfg.Workshop != nil && s.cfg.Jobs != nil
	s.render(w, r, status, "layers", "Layers", pg)
}

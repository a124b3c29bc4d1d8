package web

import "net/http"

// layerView is a content layer in the API.
type layerView struct {
	ID         string `json:"id"`
	Generation string `json:"generation"`
}

// apiLayers answers the content layers instances may stack.
func (s *Server) apiLayers(w http.ResponseWriter, r *http.Request) {
	layers, err := s.cfg.Instances.Layers(r.Context())
	if err != nil {
		s.serverError(w, r, true, err)
		return
	}
	out := make([]layerView, 0, len(layers))
	for _, l := range layers {
		out = append(out, layerView{ID: l.ID, Generation: l.Generation})
	}
	writeJSON(w, http.StatusOK, map[string]any{"layers": out})
}

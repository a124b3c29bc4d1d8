package web

import (
	"bytes"
	"encoding/json"
	"net/http"
)

// apiInstanceList answers GET /api/v1/instances: the instances the caller
// may see, with state and live summary. The answer is what writeJSON
// writes of {"instances": views}, each view's bytes from the cache while
// that view is unchanged (list_json.go).
func (s *Server) apiInstanceList(w http.ResponseWriter, r *http.Request) {
	views, err := s.listViews(r)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	switch {
	case s.oldListJSON: // the benchmark's "before" (json.Encoder, no view cache)
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", jsonIndent)
		enc.Encode(map[string]any{"instances": views})
		writeJSONBytes(w, http.StatusOK, buf.Bytes())
	case s.noListCache:
		writeJSON(w, http.StatusOK, map[string]any{"instances": views})
	default:
		// How many instances there are (from the list cache listViews
		// just used) bounds the cache of encoded views.
		all, _, err := s.instances(r.Context())
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		b, err := s.appendInstanceList(make([]byte, 0, s.listJSON.sizeHint()), views, len(all))
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		writeJSONBytes(w, http.StatusOK, b)
		s.listJSON.noteSize(len(b))
	}
}

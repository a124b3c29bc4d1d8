package web

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// decodeJSON reads a JSON request body into v, refusing unknown fields.
func decodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("request body: %w", err)
	}
	return nil
}

// apiFailErr answers an error of the instance service with its status and
// field, or a logged 500.
func (s *Server) apiFailErr(w http.ResponseWriter, r *http.Request, err error) {
	status, field, ok := classify(err)
	if !ok {
		s.serverError(w, r, err)
		return
	}
	writeJSON(w, status, apiError{Error: err.Error(), Field: field})
}

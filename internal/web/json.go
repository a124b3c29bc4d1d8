package web

import (
	"bytes"
	"encoding/json"
	"net/http"
)

// The API's answers are indented JSON (what operators read with curl),
// written by the standard library: json.Marshal, then json.Indent. The
// indentation runs every byte through encoding/json's validating scanner a
// second time; profiled on the instance list (BenchmarkPanelLists, 100
// instances) that was a third of a request's CPU, so the list indents each
// instance's view once and reuses the bytes (list_json.go) instead of
// indenting faster by hand.

// jsonIndent is the API's indentation: no prefix, two spaces a level.
const jsonIndent = "  "

// writeJSON writes v as indented JSON with a status code: the bytes
// json.Encoder with SetIndent("", "  ") writes.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.MarshalIndent(v, "", jsonIndent)
	if err != nil {
		// A value the API cannot encode is the server's fault; answered
		// before anything was written.
		status, b = http.StatusInternalServerError, []byte(`{
  "error": "Something went wrong on the server: an answer could not be encoded."
}`)
	}
	writeJSONBytes(w, status, append(b, '\n'))
}

// indentedElem is compact JSON indented as json.Indent does with the
// given prefix (the indentation of the line it starts on).
func indentedElem(compact []byte, prefix string) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(len(compact) * 3 / 2)
	if err := json.Indent(&buf, compact, prefix, jsonIndent); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeJSONBytes writes an answer already encoded.
func writeJSONBytes(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b)
}

package web

import (
	"context"
	"net/http"
)

// jsonKey marks a request whose answers, errors included, are JSON.
type jsonKey struct{}

// answersJSON reports whether the request's route answers in JSON: the
// route table's api flag, which wrap stores in the request's context.
// Error helpers (fail, serverError, instanceFor, ...) read it, so a
// handler never says which kind of route it serves.
func answersJSON(r *http.Request) bool {
	v, _ := r.Context().Value(jsonKey{}).(bool)
	return v
}

// withJSON returns r marked to answer in JSON (json true) or HTML.
func withJSON(r *http.Request, json bool) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), jsonKey{}, json))
}

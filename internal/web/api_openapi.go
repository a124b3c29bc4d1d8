package web

import (
	_ "embed"
	"net/http"
)

// openAPIDoc is the OpenAPI 3 document of every /api/v1 route: request
// bodies, answers and the error shape. TestOpenAPIMatchesEveryRoute checks
// it against the route table and the real answers.
//
//go:embed openapi.json
var openAPIDoc []byte

// apiOpenAPI answers the API's OpenAPI document. It is public: it holds no
// secret, and tools that read it (clients, generators) then need no token.
func (s *Server) apiOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(openAPIDoc)
}

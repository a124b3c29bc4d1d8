package web

import (
	"context"
	"net/http"
	"strings"

	"github.com/left4me/left4me/internal/store"
)

// LocalPanelPath is where the local socket says which supervisor the
// panel runs its servers with.
const LocalPanelPath = "/local/panel"

// localKey marks a request that came in on the panel's local socket.
type localKey struct{}

// localUser is who a request on the local socket acts as: the system, with
// an administrator's rights (as the CLI has with the database), recorded
// under no account.
var localUser = store.User{Name: "left4me (local socket)", IsAdmin: true}

// LocalHandler serves the JSON API (and the console stream) to the CLI on
// the panel's local Unix socket, whose permissions (owner only) and peer
// check are the authentication: every request acts as the system. It is
// how the CLI reaches the supervisor that actually runs the servers
// (docs/operations.md §2, "The CLI and a running panel").
//
// GET /local/panel (on the socket only) answers who serves it:
// {"supervisor": supervisor}, the backend that runs the servers, so that
// the CLI knows whether it may act on them itself (systemd) or must ask
// this panel (the process supervisor's servers are its children).
func (s *Server) LocalHandler(supervisor string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == LocalPanelPath && r.Method == http.MethodGet {
			writeJSON(w, http.StatusOK, map[string]string{"supervisor": supervisor})
			return
		}
		if !localPath(r.URL.Path) {
			http.NotFound(w, r)
			return
		}
		r.Header.Del("Authorization")
		r.Header.Del("Cookie")
		s.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), localKey{}, true)))
	})
}

// localPath reports whether the local socket serves path: the JSON API and
// an instance's console stream.
func localPath(path string) bool {
	if strings.HasPrefix(path, "/api/v1/") {
		return true
	}
	rest, ok := strings.CutPrefix(path, "/instances/")
	return ok && strings.HasSuffix(rest, "/logs/stream") && strings.Count(rest, "/") == 2
}

// localPrincipal is the principal of a request on the local socket, nil
// for any other.
func localPrincipal(r *http.Request) *principal {
	if local, _ := r.Context().Value(localKey{}).(bool); local {
		u := localUser
		return &principal{User: u}
	}
	return nil
}

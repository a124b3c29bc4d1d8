package web

import (
	"errors"
	"net/http"

	"github.com/left4me/left4me/internal/store"
)

// tokenRevoke revokes one of the user's own API tokens.
func (s *Server) tokenRevoke(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	var err error = store.ErrNotFound
	if ok {
		err = s.cfg.Store.RevokeAPIToken(r.Context(), who(r).User.ID, id)
	}
	if errors.Is(err, store.ErrNotFound) {
		s.fail(w, r, http.StatusNotFound, "No such token.")
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/account?done=revoked", http.StatusSeeOther)
}

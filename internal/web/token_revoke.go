package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/left4me/left4me/internal/store"
)

// tokenRevoke revokes one of the user's own API tokens.
func (s *Server) tokenRevoke(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err == nil {
		err = s.cfg.Store.RevokeAPIToken(r.Context(), who(r).User.ID, id)
	}
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, strconv.ErrSyntax) {
		s.fail(w, r, false, http.StatusNotFound, "No such token.")
		return
	}
	if err != nil {
		s.serverError(w, r, false, err)
		return
	}
	http.Redirect(w, r, "/account?done=revoked", http.StatusSeeOther)
}

package web

import (
	"net/http"
	"strings"

	"github.com/left4me/left4me/internal/auth"
)

// tokenCreate creates an API token and shows it once; only its hash is kept.
func (s *Server) tokenCreate(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimSpace(r.PostFormValue("name"))
	if name == "" || len(name) > 64 {
		s.showAccount(w, r, http.StatusUnprocessableEntity, accountPage{Error: "Name the token (1 to 64 characters), e.g. after the script that uses it."})
		return
	}
	token, hash, err := auth.NewAPIToken()
	if err == nil {
		_, err = s.cfg.Store.CreateAPIToken(r.Context(), who(r).User.ID, name, hash)
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.log.Info("API token created", "user", who(r).User.Name, "token", name)
	s.showAccount(w, r, http.StatusOK, accountPage{NewToken: token, NewName: name})
}

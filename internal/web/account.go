package web

import (
	"net/http"

	"github.com/left4me/left4me/internal/store"
)

// accountPage lists the user's API tokens; NewToken is set once, right
// after a token was created.
type accountPage struct {
	Tokens   []store.APIToken
	NewToken string
	NewName  string
	Error    string
	// PasswordErrors are the password form's errors by field.
	PasswordErrors map[string]string
	// KeepTokens unchecks the form's "revoke all API tokens" box (when a
	// refused change had it unchecked).
	KeepTokens bool
}

// account shows the user's API tokens and the form to create one.
func (s *Server) account(w http.ResponseWriter, r *http.Request) {
	s.showAccount(w, r, http.StatusOK, accountPage{})
}

func (s *Server) showAccount(w http.ResponseWriter, r *http.Request, status int, pg accountPage) {
	tokens, err := s.cfg.Store.ListAPITokens(r.Context(), who(r).User.ID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	pg.Tokens = tokens
	s.render(w, r, status, "account", "Account", pg)
}

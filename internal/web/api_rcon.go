package web

import (
	"errors"
	"net/http"

	"github.com/left4me/left4me/internal/rcon"
)

// rconRequest is the body of POST /api/v1/instances/{name}/rcon.
type rconRequest struct {
	Command string `json:"command"`
}

// apiRCON sends one console command and answers the server's reply.
func (s *Server) apiRCON(w http.ResponseWriter, r *http.Request) {
	inst, rl, ok := s.instanceFor(w, r)
	if !ok {
		return
	}
	var req rconRequest
	if err := decodeJSON(r, &req); err != nil {
		writeJSON(w, http.StatusBadRequest, apiError{Error: err.Error()})
		return
	}
	e, err := s.console().Send(r.Context(), inst, rconUser(r, rl), req.Command)
	if err != nil && !errors.Is(err, rcon.ErrNoReply) { // no reply: shown as the reply
		s.failErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, replyOf(e))
}

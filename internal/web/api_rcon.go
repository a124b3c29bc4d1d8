package web

import "net/http"

// rconRequest is the body of POST /api/v1/instances/{name}/rcon.
type rconRequest struct {
	Command string `json:"command"`
}

// apiRCON sends one console command and answers the server's reply.
func (s *Server) apiRCON(w http.ResponseWriter, r *http.Request) {
	inst, _, ok := s.instanceFor(w, r, true)
	if !ok {
		return
	}
	var req rconRequest
	if err := decodeJSON(r, &req); err != nil {
		writeJSON(w, http.StatusBadRequest, apiError{Error: err.Error()})
		return
	}
	e, status, err := s.runRCON(r.Context(), who(r), inst, req.Command)
	if err != nil {
		if status == http.StatusInternalServerError {
			s.serverError(w, r, true, err)
			return
		}
		writeJSON(w, status, apiError{Error: err.Error(), Field: "command"})
		return
	}
	writeJSON(w, http.StatusOK, rconReply{Command: e.Command, Response: e.Response, User: e.UserName, At: e.CreatedAt})
}

package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/left4me/left4me/internal/bans"
	"github.com/left4me/left4me/internal/rcon"
	"github.com/left4me/left4me/internal/views"
)

// durationText is a ban's duration in JSON: a string ("30m", "7d",
// "permanent") or a number of minutes.
type durationText string

func (d *durationText) UnmarshalJSON(b []byte) error {
	var n json.Number
	if err := json.Unmarshal(b, &n); err == nil {
		*d = durationText(n.String())
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New("duration: give minutes, a duration such as \"30m\", \"12h\" or \"7d\", or \"permanent\"")
	}
	*d = durationText(s)
	return nil
}

// banRequest is the body of POST /api/v1/bans.
type banRequest struct {
	SteamID   string       `json:"steam_id"`
	Duration  durationText `json:"duration"`
	Reason    string       `json:"reason"`
	Global    bool         `json:"global"`
	Instances []string     `json:"instances"`
}

// apiBanList lists the bans in force the caller may see (?q= searches).
func (s *Server) apiBanList(w http.ResponseWriter, r *http.Request) {
	list, err := s.bans().List(r.Context(), who(r).User, r.URL.Query().Get("q"))
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"bans": views.NewBans(list)})
}

// apiBanAdd bans a player and answers the ban and where it was pushed.
func (s *Server) apiBanAdd(w http.ResponseWriter, r *http.Request) {
	var req banRequest
	if err := decodeJSON(r, &req); err != nil {
		writeJSON(w, http.StatusBadRequest, apiError{Error: err.Error()})
		return
	}
	b, pushes, err := s.bans().Add(r.Context(), who(r).User, bans.Spec{SteamID: req.SteamID, Duration: string(req.Duration),
		Reason: req.Reason, Global: req.Global, Instances: req.Instances})
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, views.NewBanChange(b, pushes))
}

// banID reads {id}; false (and a 404 answered) when it is no number.
func (s *Server) banID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.fail(w, r, http.StatusNotFound, "No ban "+r.PathValue("id")+".")
		return 0, false
	}
	return id, true
}

// apiBanGet answers one ban.
func (s *Server) apiBanGet(w http.ResponseWriter, r *http.Request) {
	id, ok := s.banID(w, r)
	if !ok {
		return
	}
	b, err := s.bans().Get(r.Context(), who(r).User, id)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, views.NewBan(b))
}

// apiBanRemove lifts a ban and answers it and where removeid was sent.
func (s *Server) apiBanRemove(w http.ResponseWriter, r *http.Request) {
	id, ok := s.banID(w, r)
	if !ok {
		return
	}
	b, pushes, err := s.bans().Remove(r.Context(), who(r).User, id)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, views.NewBanChange(b, pushes))
}

// kickRequest is the body of POST /api/v1/instances/{name}/kick.
type kickRequest struct {
	Player string `json:"player"`
	Reason string `json:"reason"`
}

// apiInstanceKick kicks a player (userid or SteamID) with a reason.
func (s *Server) apiInstanceKick(w http.ResponseWriter, r *http.Request) {
	inst, rl, ok := s.instanceFor(w, r)
	if !ok {
		return
	}
	var req kickRequest
	if err := decodeJSON(r, &req); err != nil {
		writeJSON(w, http.StatusBadRequest, apiError{Error: err.Error()})
		return
	}
	e, err := s.bans().Kick(r.Context(), inst, rconUser(r, rl), req.Player, req.Reason)
	if err != nil && !errors.Is(err, rcon.ErrNoReply) {
		s.failErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, replyOf(e))
}

package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/left4me/left4me/internal/store"
	"github.com/left4me/left4me/internal/views"
)

// playerHistory is one player's history on the instances p may see
// (a viewer sees the players of the instances shared with them); a
// player none of them has seen is ErrNotFound.
func (s *Server) playerHistory(ctx context.Context, p *principal, text string) (views.PlayerHistory, error) {
	id, err := views.ParsePlayerID(text)
	if err != nil {
		return views.PlayerHistory{}, err
	}
	seen, err := s.visibleNames(ctx, p)
	if err != nil {
		return views.PlayerHistory{}, err
	}
	var visible func(string) bool
	if seen != nil {
		visible = func(name string) bool { return seen[name] }
	}
	h, err := s.cfg.Store.Player(ctx, id, visible)
	if err != nil {
		return views.PlayerHistory{}, err
	}
	return views.NewPlayerHistory(h), nil
}

// playersPage is the player search page.
type playersPage struct {
	SteamID string
	Error   string
	Player  *views.PlayerHistory
}

// Hours says a number of seconds for people.
func (playersPage) Hours(secs int64) string { return played(time.Duration(secs) * time.Second) }

// players is the player search: GET /players?steamid=… shows first and
// last seen, total time and names used on the instances the viewer may see.
func (s *Server) players(w http.ResponseWriter, r *http.Request) {
	pg := playersPage{SteamID: r.URL.Query().Get("steamid")}
	status := http.StatusOK
	if pg.SteamID != "" {
		h, err := s.playerHistory(r.Context(), who(r), pg.SteamID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			status, pg.Error = http.StatusNotFound, fmt.Sprintf("No instance you can see has seen %s.", pg.SteamID)
		case err != nil:
			a, ok := answerFor(err)
			if !ok {
				s.serverError(w, r, err)
				return
			}
			status, pg.Error = a.status, a.msg
		default:
			pg.Player = &h
		}
	}
	s.render(w, r, status, "players", "Players", pg)
}

// apiPlayer answers GET /api/v1/players/{steamid}.
func (s *Server) apiPlayer(w http.ResponseWriter, r *http.Request) {
	h, err := s.playerHistory(r.Context(), who(r), r.PathValue("steamid"))
	if errors.Is(err, store.ErrNotFound) {
		writeJSON(w, http.StatusNotFound, apiError{Error: "no instance you can see has seen " + r.PathValue("steamid")})
		return
	}
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h)
}

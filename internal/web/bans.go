package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/left4me/left4me/internal/bans"
	"github.com/left4me/left4me/internal/rcon"
	"github.com/left4me/left4me/internal/views"
)

// bans is the ban service over the panel's store, instances and RCON
// console (internal/bans); without a console bans are stored and staged
// only.
func (s *Server) bans() *bans.Service {
	cfg := bans.Config{Store: s.cfg.Store, Instances: s.cfg.Instances, Now: s.cfg.Now, Logger: s.log}
	if s.cfg.Console != nil {
		cfg.Console = s.console()
	}
	return bans.New(cfg)
}

// banPage is the ban list.
type banPage struct {
	Query string
	Bans  []views.Ban
	Admin bool
	// Done is the last change's outcome, shown once.
	Done string
}

// banList is the ban list page: every ban in force the viewer may see,
// searched by q, with the add form.
func (s *Server) banList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query().Get("q")
	list, err := s.bans().List(r.Context(), who(r).User, q)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	pg := banPage{Query: q, Bans: views.NewBans(list), Admin: who(r).User.IsAdmin}
	if id := r.URL.Query().Get("banned"); id != "" {
		pg.Done = "Banned " + id + "."
	}
	s.render(w, r, http.StatusOK, "bans", "Bans", pg)
}

// banReturn is where a ban form goes back to: an instance page it came
// from (the player list), else the ban list.
func banReturn(r *http.Request) string {
	if ret := r.PostFormValue("return"); strings.HasPrefix(ret, "/instances/") && !strings.ContainsAny(ret, "\\?#") && !strings.Contains(ret, "//") {
		return ret
	}
	return "/bans"
}

// banAdd bans a player from the ban list's form or an instance's player
// list.
func (s *Server) banAdd(w http.ResponseWriter, r *http.Request) {
	spec := bans.Spec{SteamID: r.PostFormValue("steam_id"), Duration: r.PostFormValue("duration"),
		Reason: r.PostFormValue("reason"), Global: r.PostFormValue("global") != ""}
	if err := r.ParseForm(); err == nil {
		spec.Instances = r.PostForm["instances"]
	}
	b, pushes, err := s.bans().Add(r.Context(), who(r).User, spec)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	s.log.Info("ban added", "id", b.ID, "pushed", len(pushes))
	http.Redirect(w, r, banReturn(r)+"?banned="+url.QueryEscape(b.SteamID), http.StatusSeeOther)
}

// banRemove lifts a ban from the ban list.
func (s *Server) banRemove(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.fail(w, r, http.StatusNotFound, "No ban "+r.PathValue("id")+".")
		return
	}
	if _, _, err := s.bans().Remove(r.Context(), who(r).User, id); err != nil {
		s.failErr(w, r, err)
		return
	}
	http.Redirect(w, r, "/bans", http.StatusSeeOther)
}

// instanceKick kicks a player from the instance page's player list, with
// the reason shown to the player.
func (s *Server) instanceKick(w http.ResponseWriter, r *http.Request) {
	inst, rl, ok := s.instanceFor(w, r)
	if !ok {
		return
	}
	_, err := s.bans().Kick(r.Context(), inst, rconUser(r, rl), r.PostFormValue("player"), r.PostFormValue("reason"))
	if err != nil && !errors.Is(err, rcon.ErrNoReply) { // sent: a kick usually takes effect all the same
		s.failErr(w, r, err)
		return
	}
	http.Redirect(w, r, "/instances/"+url.PathEscape(inst.Name)+"#moderate", http.StatusSeeOther)
}

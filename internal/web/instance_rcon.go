package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/left4me/left4me/internal/rcon"
	"github.com/left4me/left4me/internal/store"
)

// rconReply is the answer to a console command.
type rconReply struct {
	Command  string    `json:"command"`
	Response string    `json:"response"`
	User     string    `json:"user"`
	At       time.Time `json:"at"`
}

func replyOf(e store.RCONEntry) rconReply {
	return rconReply{Command: e.Command, Response: e.Response, User: e.UserName, At: e.CreatedAt}
}

// console is the RCON console under its policy (internal/rcon) over the
// panel's sender, instance service and history.
func (s *Server) console() *rcon.Console {
	c := rcon.New(s.cfg.Console, s.cfg.Instances, s.cfg.Store, s.cfg.RCONPolicy)
	if s.cfg.Webhooks != nil {
		c.WithNotifier(s.cfg.Webhooks)
	}
	return c
}

// instanceRCON sends a console command from the page. The page's script
// posts it with Accept: application/json and shows the reply in place;
// without script the form posts and the page reloads.
func (s *Server) instanceRCON(w http.ResponseWriter, r *http.Request) {
	inst, rl, ok := s.instanceFor(w, r)
	if !ok {
		return
	}
	// The page's script asks for JSON; its errors then come as JSON too.
	wantJSON := strings.Contains(r.Header.Get("Accept"), "application/json")
	r = withJSON(r, wantJSON)
	e, err := s.console().Send(r.Context(), inst, rconUser(r, rl), r.PostFormValue("command"))
	if err != nil && !errors.Is(err, rcon.ErrNoReply) { // no reply: shown as the reply
		s.failErr(w, r, err)
		return
	}
	if wantJSON {
		writeJSON(w, http.StatusOK, replyOf(e))
		return
	}
	http.Redirect(w, r, "/instances/"+url.PathEscape(inst.Name)+"#console", http.StatusSeeOther)
}

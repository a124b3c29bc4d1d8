package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/store"
)

// maxCommand bounds one console command.
const maxCommand = 512

// rconReply is the answer to a console command.
type rconReply struct {
	Command  string    `json:"command"`
	Response string    `json:"response"`
	User     string    `json:"user"`
	At       time.Time `json:"at"`
}

// runRCON checks a command, sends it and records it in the instance's history.
func (s *Server) runRCON(ctx context.Context, p *principal, inst instance.Instance, command string) (store.RCONEntry, int, error) {
	command = strings.TrimSpace(command)
	switch {
	case command == "":
		return store.RCONEntry{}, http.StatusUnprocessableEntity, fmt.Errorf("type a command")
	case len(command) > maxCommand || strings.ContainsAny(command, "\r\n\x00"):
		return store.RCONEntry{}, http.StatusUnprocessableEntity, fmt.Errorf("a command is one line of at most %d characters", maxCommand)
	case s.cfg.Console == nil:
		return store.RCONEntry{}, http.StatusNotFound, fmt.Errorf("the RCON console is not available here")
	}
	if st, err := s.cfg.Instances.Status(ctx, inst.Name); err != nil || st.State != instance.Running {
		return store.RCONEntry{}, http.StatusConflict, fmt.Errorf("%s is not running", inst.Name)
	}
	reply, err := s.cfg.Console.Exec(ctx, inst, command)
	if err != nil {
		reply = "error: " + err.Error()
	}
	hcmd, hreply := forHistory(command, reply)
	e, err := s.cfg.Store.AddRCON(ctx, inst.Name, p.User.ID, hcmd, hreply)
	if err != nil {
		return store.RCONEntry{}, http.StatusInternalServerError, err
	}
	// The one who sent it sees the real reply.
	e.Command, e.Response, e.UserName = command, reply, p.User.Name
	return e, http.StatusOK, nil
}

// secretCvars hold passwords or tokens. The console history, which users an
// instance is shared with can read, keeps their names but neither the value
// set nor the reply (a bare name answers with the value).
var secretCvars = map[string]bool{
	"rcon_password": true, "sv_password": true, "sv_logsecret": true, "sv_setsteamaccount": true,
}

// hiddenReply stands in the history for the reply to a secret cvar.
const hiddenReply = "(reply not kept: it may hold a secret)"

// forHistory is a command and its reply as the history records them.
func forHistory(command, reply string) (string, string) {
	name, _, hasValue := strings.Cut(command, " ")
	if !secretCvars[strings.ToLower(name)] {
		return command, reply
	}
	if hasValue {
		name += " <hidden>"
	}
	return name, hiddenReply
}

// instanceRCON sends a console command from the page. The page's script
// posts it with Accept: application/json and shows the reply in place;
// without script the form posts and the page reloads.
func (s *Server) instanceRCON(w http.ResponseWriter, r *http.Request) {
	inst, _, ok := s.instanceFor(w, r, false)
	if !ok {
		return
	}
	wantJSON := strings.Contains(r.Header.Get("Accept"), "application/json")
	e, status, err := s.runRCON(r.Context(), who(r), inst, r.PostFormValue("command"))
	switch {
	case err != nil && status == http.StatusInternalServerError:
		s.serverError(w, r, wantJSON, err)
	case err != nil:
		s.fail(w, r, wantJSON, status, err.Error())
	case wantJSON:
		writeJSON(w, http.StatusOK, rconReply{Command: e.Command, Response: e.Response, User: e.UserName, At: e.CreatedAt})
	default:
		http.Redirect(w, r, "/instances/"+url.PathEscape(inst.Name)+"#console", http.StatusSeeOther)
	}
}

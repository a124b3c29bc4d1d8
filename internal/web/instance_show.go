package web

import (
	"net/http"

	"github.com/left4me/left4me/internal/store"
)

// showPage is the instance page.
type showPage struct {
	I        instanceView
	Log      []string
	LogCap   int
	HasLogs  bool
	Console  bool
	Feed     feedView // the Events card (instance_events.go)
	History  []store.RCONEntry
	Shares   []store.User
	Users    []store.User // accounts an admin may share with
	IsAdmin  bool
	LiveFeed bool
	// Stack is the file conflicts of the instance's layers (nil when it
	// stacks fewer than two).
	Stack *stackReport
}

// ShareCandidates are the accounts the instance could be shared with:
// not administrators (they see everything), not the owner, not already shared.
func (p showPage) ShareCandidates() []store.User {
	have := map[int64]bool{}
	for _, u := range p.Shares {
		have[u.ID] = true
	}
	var out []store.User
	for _, u := range p.Users {
		if !u.IsAdmin && !have[u.ID] && u.Name != p.I.Owner {
			out = append(out, u)
		}
	}
	return out
}

// instanceShow is the instance page: state and controls, live players,
// console log, events, RCON console and (for admins) sharing.
func (s *Server) instanceShow(w http.ResponseWriter, r *http.Request) {
	inst, rl, ok := s.instanceFor(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	owners, err := s.ownerNames(ctx)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	pg := showPage{I: s.describe(ctx, inst, rl, owners), LogCap: s.cfg.LogLines, HasLogs: s.cfg.Logs != nil,
		Console: s.cfg.Console != nil, IsAdmin: who(r).User.IsAdmin, LiveFeed: s.cfg.Live != nil}
	if s.cfg.Logs != nil {
		if pg.Log, err = s.cfg.Logs.Tail(ctx, inst.Name, s.cfg.LogLines); err != nil {
			s.log.Warn("read log tail", "instance", inst.Name, "err", err)
		}
	}
	if pg.Feed, err = s.feed(r, inst.Name); err != nil {
		s.serverError(w, r, err)
		return
	}
	if pg.History, err = s.console().History(ctx, inst.Name, 20); err != nil {
		s.serverError(w, r, err)
		return
	}
	if len(inst.Layers) > 0 {
		rep, err := s.stackConflicts(ctx, inst.Layers)
		if err != nil {
			s.log.Warn("stack conflicts", "instance", inst.Name, "err", err)
		} else {
			pg.Stack = &rep
		}
	}
	if pg.IsAdmin {
		if pg.Shares, err = s.cfg.Store.InstanceShares(ctx, inst.Name); err == nil {
			pg.Users, err = s.cfg.Store.ListUsers(ctx)
		}
		if err != nil {
			s.serverError(w, r, err)
			return
		}
	}
	s.render(w, r, http.StatusOK, "instance", inst.Name, pg)
}

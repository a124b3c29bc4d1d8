package web

import (
	"net/http"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/roles"
	"github.com/left4me/left4me/internal/store"
	"github.com/left4me/left4me/internal/views"
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
	Shares   []store.Share
	Users    []store.User // accounts a site administrator may share with
	IsAdmin  bool
	Me       int64    // the viewer's account
	Actions  []string // the power buttons the viewer's role allows
	LiveFeed bool
	// Stack is the file conflicts of the instance's layers (nil when it
	// stacks fewer than two).
	Stack *stackReport
	// Schedules is the schedules card (instance_schedules.go).
	Schedules scheduleSection
	// Maps is the map picker card (instance_maps.go).
	Maps mapSection
	// Chat is the chat card (instance_chat.go).
	Chat chatSection
	// Backups is the backups card (instance_backups.go).
	Backups backupSection
	// Graphs is the History card (instance_show_history.go).
	Graphs historySection
}

// ShareCandidates are the accounts a site administrator could share the
// instance with: not administrators (they see everything), not the owner,
// not already shared (roles.CheckShare refuses the rest).
func (p showPage) ShareCandidates() []store.User {
	have := map[int64]bool{}
	for _, sh := range p.Shares {
		have[sh.User.ID] = true
	}
	var out []store.User
	for _, u := range p.Users {
		if !u.IsAdmin && !have[u.ID] && u.Name != p.I.Owner {
			out = append(out, u)
		}
	}
	return out
}

// ShareRoles are the roles of the share form, weakest first, with what
// each may do.
func (p showPage) ShareRoles() []views.Share {
	var out []views.Share
	for _, r := range roles.ShareRoles {
		out = append(out, views.NewShare("", r))
	}
	return out
}

// instanceShow is the instance page: state and controls, live players,
// console log, events, and as the viewer's role allows (internal/roles)
// the controls, the RCON console with its history, and sharing.
func (s *Server) instanceShow(w http.ResponseWriter, r *http.Request) {
	inst, rl, ok := s.instanceFor(w, r)
	if !ok {
		return
	}
	s.instancePage(w, r, inst, rl, http.StatusOK, nil)
}

// instancePage renders the instance page with status; sched is the
// schedules form after a refused add (nil: an empty form).
func (s *Server) instancePage(w http.ResponseWriter, r *http.Request, inst instance.Instance, rl role, status int, sched *scheduleSection) {
	ctx := r.Context()
	owners, err := s.ownerNames(ctx)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	pg := showPage{I: s.describe(ctx, inst, rl, owners), LogCap: s.cfg.LogLines, HasLogs: s.cfg.Logs != nil,
		Console: s.cfg.Console != nil, IsAdmin: who(r).User.IsAdmin, Me: who(r).User.ID, Actions: s.allowedActions(rl), LiveFeed: s.cfg.Live != nil}
	if s.cfg.Logs != nil {
		if pg.Log, err = s.logsFor(rl).Tail(ctx, inst.Name, s.cfg.LogLines); err != nil {
			s.log.Warn("read log tail", "instance", inst.Name, "err", err)
		}
	}
	if pg.Feed, err = s.feed(r, inst.Name, rl); err != nil {
		s.serverError(w, r, err)
		return
	}
	if rl.May(roles.Console) {
		if pg.History, err = s.console().History(ctx, inst.Name, 20); err != nil {
			s.serverError(w, r, err)
			return
		}
	}
	if len(inst.Layers) > 0 {
		rep, err := s.stackConflicts(ctx, inst.Layers)
		if err != nil {
			s.log.Warn("stack conflicts", "instance", inst.Name, "err", err)
		} else {
			pg.Stack = &rep
		}
	}
	pg.Graphs = s.instanceGraphs(ctx, r, inst.Name)
	if pg.Schedules, err = s.scheduleSectionFor(ctx, inst.Name, sched); err != nil {
		s.serverError(w, r, err)
		return
	}
	pg.Maps = s.mapSectionFor(ctx, inst, rl)
	if pg.Chat, err = s.chatSectionFor(r, inst.Name, rl); err != nil {
		s.serverError(w, r, err)
		return
	}
	if pg.Backups, err = s.backupSectionFor(ctx, inst.Name, rl); err != nil {
		s.serverError(w, r, err)
		return
	}
	if rl.May(roles.Share) {
		// Only site administrators pick from the list of accounts; others
		// type a name, so the page does not list every account to them.
		if pg.Shares, err = s.cfg.Store.Shares(ctx, inst.Name); err == nil && pg.IsAdmin {
			pg.Users, err = s.cfg.Store.ListUsers(ctx)
		}
		if err != nil {
			s.serverError(w, r, err)
			return
		}
	}
	s.render(w, r, status, "instance", inst.Name, pg)
}

package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/left4me/left4me/internal/campaigns"
	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/rcon"
	"github.com/left4me/left4me/internal/roles"
	"github.com/left4me/left4me/internal/views"
)

// mapExec carries a map change out for the panel: the console commands
// through the RCON console (recorded in its history as the user's), the
// arguments through the instance service.
type mapExec struct {
	s    *Server
	r    *http.Request
	inst instance.Instance
	rl   role
}

// Send sends a command the map change built (mp_gamemode, changelevel):
// the route's permission (roles.Moderate) is the check, so the operator's
// list of commands does not apply to it.
func (e mapExec) Send(ctx context.Context, command string) (string, error) {
	u := who(e.r).User
	entry, err := e.s.console().Send(ctx, e.inst, rcon.User{ID: u.ID, Name: u.Name, MaySeeSecrets: e.rl.May(roles.Secrets)}, command)
	if err != nil {
		return "", err
	}
	return entry.Response, nil
}

func (e mapExec) SetArgs(ctx context.Context, args []string) error {
	_, err := e.s.cfg.Instances.Update(ctx, e.inst.Name, instance.Update{Args: &args})
	return err
}

// mapTarget is the instance as the map picker sees it.
func (s *Server) mapTarget(ctx context.Context, inst instance.Instance) campaigns.Target {
	t := campaigns.Target{Name: inst.Name, Layers: inst.Layers, Args: inst.Args}
	if st, err := s.cfg.Instances.Status(ctx, inst.Name); err == nil {
		t.Running = st.State == instance.Running
	}
	return t
}

// mapsOf is the instance's picker: the stack it runs, or the one it
// starts with next.
func (s *Server) mapsOf(ctx context.Context, inst instance.Instance) views.Maps {
	return views.NewMaps(inst.Name, inst.Args, s.cfg.Maps.Stack(s.cfg.Root, s.mapTarget(ctx, inst)))
}

// changeMap is the one map change of the page, the API and (through the
// panel's socket) the CLI.
func (s *Server) changeMap(r *http.Request, inst instance.Instance, rl role, req campaigns.Request) (campaigns.Result, error) {
	res, err := s.cfg.Maps.Change(r.Context(), s.cfg.Root, s.mapTarget(r.Context(), inst), req, mapExec{s: s, r: r, inst: inst, rl: rl})
	if errors.Is(err, rcon.ErrNotRunning) {
		err = &instance.FieldError{Field: campaigns.FieldWhen, Err: err}
	}
	return res, err
}

// instanceMap is the picker's form: change the map now or for the next
// start, then back to the instance page.
func (s *Server) instanceMap(w http.ResponseWriter, r *http.Request) {
	inst, rl, ok := s.instanceFor(w, r)
	if !ok {
		return
	}
	req := campaigns.Request{Map: r.PostFormValue("map"), Mode: r.PostFormValue("mode"), When: r.PostFormValue("when")}
	res, err := s.changeMap(r, inst, rl, req)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	done := "map"
	if res.When == campaigns.WhenNextStart {
		done = "nextmap"
	}
	http.Redirect(w, r, "/instances/"+url.PathEscape(inst.Name)+"?done="+done+"#maps-h", http.StatusSeeOther)
}

// apiMaps answers the instance's map picker.
func (s *Server) apiMaps(w http.ResponseWriter, r *http.Request) {
	inst, _, ok := s.instanceFor(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, s.mapsOf(r.Context(), inst))
}

// apiMap changes the instance's map: {"map", "mode", "when": "now" |
// "next-start"}.
func (s *Server) apiMap(w http.ResponseWriter, r *http.Request) {
	inst, rl, ok := s.instanceFor(w, r)
	if !ok {
		return
	}
	var req campaigns.Request
	if err := decodeJSON(r, &req); err != nil {
		writeJSON(w, http.StatusBadRequest, apiError{Error: err.Error()})
		return
	}
	res, err := s.changeMap(r, inst, rl, req)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// mapSection is the instance page's map picker card
// (templates/instance_maps.html).
type mapSection struct {
	On        bool // the viewer may change the map
	Running   bool
	StartMap  string
	StartMode string
	Modes     []string
	Official  []mapRow
	Layers    []mapRow
	Loose     []views.MapFile
	Warnings  []string
}

// mapRow is one campaign of the card.
type mapRow struct {
	Name, Title, Layer, File string
	Maps                     []string
	Modes                    string // its modes, the unverified ones marked
}

// mapSectionFor builds the card for the viewer.
func (s *Server) mapSectionFor(ctx context.Context, inst instance.Instance, rl role) mapSection {
	t := s.mapTarget(ctx, inst)
	m := views.NewMaps(inst.Name, inst.Args, s.cfg.Maps.Stack(s.cfg.Root, t))
	sec := mapSection{On: rl.May(roles.Moderate), Running: t.Running, StartMap: m.StartMap, StartMode: m.StartMode,
		Modes: m.Modes, Loose: m.Maps, Warnings: m.Warnings}
	for _, c := range m.Campaigns {
		var modes []string
		for mode := range c.Modes {
			if slices.Contains(c.Unverified, mode) {
				mode += " (unverified)"
			}
			modes = append(modes, mode)
		}
		slices.Sort(modes)
		row := mapRow{Name: c.Name, Title: c.Title, Layer: c.Layer, File: c.File, Maps: c.Maps, Modes: strings.Join(modes, ", ")}
		if c.Source == "official" {
			sec.Official = append(sec.Official, row)
		} else {
			sec.Layers = append(sec.Layers, row)
		}
	}
	return sec
}

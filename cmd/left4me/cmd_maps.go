package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/left4me/left4me/internal/campaigns"
	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/rcon"
	"github.com/left4me/left4me/internal/views"
)

// cliMapExec carries a map change out for the CLI: console commands over
// its own RCON connection under the panel's policy (sent as the system),
// arguments through the instance service.
type cliMapExec struct {
	a  *app
	in instance.Instance
}

func (e cliMapExec) Send(ctx context.Context, command string) (string, error) {
	entry, err := rcon.New(rconOnce{}, e.a.svc, e.a.store, e.a.cfg.RCONPolicy).Send(ctx, e.in, rcon.User{MaySeeSecrets: true}, command)
	if err != nil {
		return "", err
	}
	return entry.Response, nil
}

func (e cliMapExec) SetArgs(ctx context.Context, args []string) error {
	_, err := e.a.svc.Update(ctx, e.in.Name, instance.Update{Args: &args})
	return err
}

// cliTarget is the instance as the map picker sees it.
func cliTarget(ctx context.Context, a *app, in instance.Instance) campaigns.Target {
	t := campaigns.Target{Name: in.Name, Layers: in.Layers, Args: in.Args}
	if st, err := a.svc.Status(ctx, in.Name); err == nil {
		t.Running = st.State == instance.Running
	}
	return t
}

// instanceMaps prints an instance's map picker: the official campaigns and
// those of its layers, with the modes each plays.
func instanceMaps(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	asJSON := fs.Bool("json", false, "print the picker as JSON (as GET /api/v1/instances/NAME/maps)")
	pos, _, err := parseFlags(fs, args, 1)
	if err != nil {
		return err
	}
	var m views.Maps
	if p, err := env.panel(ctx); err != nil {
		return err
	} else if p.ownsServers() {
		if err := p.call(ctx, "GET", "/api/v1/instances/"+url.PathEscape(pos[0])+"/maps", &m); err != nil {
			return err
		}
	} else if err := withApp(ctx, env, func(a *app) error {
		in, err := a.svc.Get(ctx, pos[0])
		if err != nil {
			return err
		}
		m = views.NewMaps(in.Name, in.Args, campaigns.NewScanner().Stack(a.cfg.Root, cliTarget(ctx, a, in)))
		return nil
	}); err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(env.stdout, m)
	}
	start := "the server's default"
	if m.StartMap != "" {
		start = m.StartMap
	}
	if m.StartMode != "" {
		start += " in " + m.StartMode
	}
	fmt.Fprintf(env.stdout, "next start: %s\nmodes: %s\n", start, strings.Join(m.Modes, ", "))
	for _, c := range m.Campaigns {
		from := "official"
		if c.Layer != "" {
			from = "layer " + c.Layer + " (" + c.File + ")"
		}
		title := c.Title
		if title == "" {
			title = c.Name
		}
		var modes []string
		for mode := range c.Modes {
			if slices.Contains(c.Unverified, mode) {
				mode += " (unverified)"
			}
			modes = append(modes, mode)
		}
		slices.Sort(modes)
		fmt.Fprintf(env.stdout, "%s [%s] from %s: %s; modes %s\n", c.Name, title, from, strings.Join(c.Maps, " "), strings.Join(modes, ", "))
	}
	for _, mf := range m.Maps {
		fmt.Fprintf(env.stdout, "%s from layer %s (%s)\n", mf.Name, mf.Layer, mf.File)
	}
	for _, w := range m.Warnings {
		fmt.Fprintf(env.stderr, "warning: %s\n", w)
	}
	return nil
}

// instanceMap changes an instance's map now (changelevel over RCON) or for
// its next start (+map, +mp_gamemode): the panel's rule (campaigns.Change).
func instanceMap(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	mode := fs.String("mode", "", "the game mode (coop, realism, versus, survival, scavenge, or one a layer's campaign names)")
	next := fs.Bool("next-start", false, "set the map and mode for the next start instead of changing it now")
	asJSON := fs.Bool("json", false, "print what was done as JSON")
	pos, _, err := parseFlags(fs, args, 2)
	if err != nil {
		return err
	}
	req := campaigns.Request{Map: pos[1], Mode: *mode, When: campaigns.WhenNow}
	if *next {
		req.When = campaigns.WhenNextStart
	}
	var res campaigns.Result
	if p, err := env.panel(ctx); err != nil {
		return err
	} else if p.ownsServers() {
		resp, err := p.send(ctx, "POST", "/api/v1/instances/"+url.PathEscape(pos[0])+"/map", req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
			return fmt.Errorf("read the panel's answer: %w", err)
		}
	} else if err := withApp(ctx, env, func(a *app) error {
		in, err := a.svc.Get(ctx, pos[0])
		if err != nil {
			return err
		}
		res, err = campaigns.NewScanner().Change(ctx, a.cfg.Root, cliTarget(ctx, a, in), req, cliMapExec{a: a, in: in})
		return err
	}); err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(env.stdout, res)
	}
	if res.When == campaigns.WhenNextStart {
		fmt.Fprintf(env.stdout, "%s starts next on %s (from %s); its arguments: %s\n", pos[0], res.Map, res.Source, strings.Join(res.Args, " "))
		return nil
	}
	fmt.Fprintf(env.stdout, "%s is loading %s (from %s)\n", pos[0], res.Map, res.Source)
	if res.Reply != "" {
		fmt.Fprintln(env.stdout, res.Reply)
	}
	return nil
}

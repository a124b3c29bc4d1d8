package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/left4me/left4me/internal/bans"
	"github.com/left4me/left4me/internal/rcon"
	"github.com/left4me/left4me/internal/store"
	"github.com/left4me/left4me/internal/views"
)

// banLong is the ban command's help after its one line.
const banLong = `STEAMID is STEAM_X:Y:Z, [U:1:N] or a 17-digit SteamID64; it is stored as STEAM_1:Y:Z.
DURATION is minutes (90), a duration (30m, 12h, 7d, 1d12h) or permanent (the default).
The CLI bans as the system: on every instance that exists (--instance narrows it), or with
--global on every instance, present and future. Running instances get banid and kickid at
once; the others at their next start (left4me_bans.cfg). The panel lifts expired bans.`

// banService is the ban service of a CLI command: its pushes go over an
// RCON connection of its own, under the console's policy and history.
func (a *app) banService(sender rcon.Sender) *bans.Service {
	return bans.New(bans.Config{Store: a.store, Instances: a.svc, Logger: a.log,
		Console: rcon.New(sender, a.svc, a.store, a.cfg.RCONPolicy).WithNotifier(a.notify)})
}

// printChange prints a ban added or lifted (verb) and where it was sent.
func printChange(env *cliEnv, verb string, v views.BanChange) {
	fmt.Fprintln(env.stdout, verb+" "+describeBan(v.Ban))
	for _, p := range v.Pushed {
		if p.Error != "" {
			fmt.Fprintf(env.stdout, "  %s: not applied live (%s); it applies at its next start\n", p.Instance, p.Error)
			continue
		}
		fmt.Fprintf(env.stdout, "  %s: applied live\n", p.Instance)
	}
}

// viaPanel sends a ban change to the running panel when only it can reach
// the servers (the demo's are its children; panelclient.go), decoding the
// answer into out; false when there is no such panel.
func viaPanel(ctx context.Context, env *cliEnv, method, path string, body, out any) (bool, error) {
	p, err := env.panel(ctx)
	if err != nil || !p.ownsServers() {
		return false, err
	}
	resp, err := p.send(ctx, method, path, body)
	if err != nil {
		return true, err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return true, fmt.Errorf("read the running panel's answer to %s %s: %w", method, path, err)
	}
	return true, nil
}

// describeBan is one ban in words.
func describeBan(v views.Ban) string {
	until := "permanently"
	if !v.Permanent {
		until = "until " + v.Expires.Local().Format("2006-01-02 15:04")
	}
	where := "on " + strings.Join(v.Instances, ", ")
	if v.Global {
		where = "on every instance"
	}
	s := fmt.Sprintf("ban %d: %s %s %s", v.ID, v.SteamID, until, where)
	if v.Reason != "" {
		s += " (" + v.Reason + ")"
	}
	return s
}

func banAdd(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	duration := fs.String("duration", "", "how long: minutes, 30m, 12h, 7d or permanent (default permanent)")
	reason := fs.String("reason", "", "why, shown to the player as they are kicked")
	global := fs.Bool("global", false, "ban on every instance, present and future")
	var only stringList
	fs.Var(&only, "instance", "ban only on this instance (repeatable)")
	asJSON := fs.Bool("json", false, "print the ban as JSON")
	pos, _, err := parseFlags(fs, args, 1)
	if err != nil {
		return err
	}
	show := func(v views.BanChange) error {
		if *asJSON {
			return writeJSON(env.stdout, v)
		}
		printChange(env, "added", v)
		return nil
	}
	var v views.BanChange
	body := map[string]any{"steam_id": pos[0], "duration": *duration, "reason": *reason, "global": *global, "instances": []string(only)}
	if sent, err := viaPanel(ctx, env, http.MethodPost, "/api/v1/bans", body, &v); sent || err != nil {
		if err != nil {
			return err
		}
		return show(v)
	}
	return withApp(ctx, env, func(a *app) error {
		b, pushes, err := a.banService(rconOnce{}).Add(ctx, store.User{}, bans.Spec{SteamID: pos[0], Duration: *duration,
			Reason: *reason, Global: *global, Instances: only})
		if err != nil {
			return err
		}
		return show(views.NewBanChange(b, pushes))
	})
}

func banList(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	asJSON := fs.Bool("json", false, "print JSON")
	// QUERY is optional: flags and words, in any order.
	var pos []string
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			return fmt.Errorf("%w: %w", errUsage, err)
		}
		if fs.NArg() == 0 {
			break
		}
		pos, rest = append(pos, fs.Arg(0)), fs.Args()[1:]
	}
	return withApp(ctx, env, func(a *app) error {
		list, err := a.banService(nil).List(ctx, store.User{}, strings.Join(pos, " "))
		if err != nil {
			return err
		}
		out := views.NewBans(list)
		if *asJSON {
			return writeJSON(env.stdout, out)
		}
		tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSTEAMID\tBY\tWHEN\tEXPIRES\tWHERE\tREASON")
		for _, v := range out {
			exp := "never"
			if !v.Permanent {
				exp = v.Expires.Local().Format("2006-01-02 15:04")
			}
			where := strings.Join(v.Instances, ",")
			if v.Global {
				where = "global"
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", v.ID, v.SteamID, v.By, v.At.Local().Format("2006-01-02 15:04"), exp, where, v.Reason)
		}
		return tw.Flush()
	})
}

func banRemove(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	asJSON := fs.Bool("json", false, "print the lifted ban as JSON")
	pos, _, err := parseFlags(fs, args, 1)
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(pos[0], 10, 64)
	if err != nil || id <= 0 {
		return fmt.Errorf("%w: ban id %q: want the number ban list shows", errUsage, pos[0])
	}
	show := func(v views.BanChange) error {
		if *asJSON {
			return writeJSON(env.stdout, v)
		}
		printChange(env, "lifted", v)
		return nil
	}
	var v views.BanChange
	if sent, err := viaPanel(ctx, env, http.MethodDelete, "/api/v1/bans/"+strconv.FormatInt(id, 10), nil, &v); sent || err != nil {
		if err != nil {
			return err
		}
		return show(v)
	}
	return withApp(ctx, env, func(a *app) error {
		b, pushes, err := a.banService(rconOnce{}).Remove(ctx, store.User{}, id)
		if err != nil {
			return err
		}
		return show(views.NewBanChange(b, pushes))
	})
}

// instanceKick kicks a player from a running instance with a reason shown
// to the player (kickid), as the system.
func instanceKick(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	reason := fs.String("reason", "", "why, shown to the player")
	pos, _, err := parseFlags(fs, args, 2)
	if err != nil {
		return err
	}
	var reply struct {
		Response string `json:"response"`
	}
	if sent, err := viaPanel(ctx, env, http.MethodPost, instancePath(pos[0])+"/kick", map[string]string{"player": pos[1], "reason": *reason}, &reply); sent || err != nil {
		if err != nil {
			return err
		}
		fmt.Fprint(env.stdout, reply.Response)
		if reply.Response != "" && !strings.HasSuffix(reply.Response, "\n") {
			fmt.Fprintln(env.stdout)
		}
		return nil
	}
	return withApp(ctx, env, func(a *app) error {
		in, err := a.svc.Get(ctx, pos[0])
		if err != nil {
			return err
		}
		e, err := a.banService(rconOnce{}).Kick(ctx, in, rcon.User{MaySeeSecrets: true}, pos[1], *reason)
		if err != nil && !errors.Is(err, rcon.ErrNoReply) {
			return err
		}
		fmt.Fprint(env.stdout, e.Response)
		if e.Response != "" && !strings.HasSuffix(e.Response, "\n") {
			fmt.Fprintln(env.stdout)
		}
		return err
	})
}

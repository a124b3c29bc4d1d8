package main

import (
	"context"
	"errors"
	"fmt"
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

// printPushes says where a ban change was sent.
func printPushes(env *cliEnv, pushes []bans.Push) {
	for _, p := range pushes {
		if p.Err != nil {
			fmt.Fprintf(env.stdout, "  %s: not applied live (%v); it applies at its next start\n", p.Instance, p.Err)
			continue
		}
		fmt.Fprintf(env.stdout, "  %s: applied live\n", p.Instance)
	}
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
	return withApp(ctx, env, func(a *app) error {
		b, pushes, err := a.banService(rconOnce{}).Add(ctx, store.User{}, bans.Spec{SteamID: pos[0], Duration: *duration,
			Reason: *reason, Global: *global, Instances: only})
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(env.stdout, views.NewBanChange(b, pushes))
		}
		fmt.Fprintln(env.stdout, "added "+describeBan(views.NewBan(b)))
		printPushes(env, pushes)
		return nil
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
	return withApp(ctx, env, func(a *app) error {
		b, pushes, err := a.banService(rconOnce{}).Remove(ctx, store.User{}, id)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(env.stdout, views.NewBanChange(b, pushes))
		}
		fmt.Fprintln(env.stdout, "lifted "+describeBan(views.NewBan(b)))
		printPushes(env, pushes)
		return nil
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

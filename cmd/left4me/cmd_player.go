package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/left4me/left4me/internal/store"
	"github.com/left4me/left4me/internal/views"
)

// playerShow prints a player's history across every instance (the CLI is
// the host's administrator): the panel's rule (store.Player), read from
// the database.
func playerShow(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	asJSON := fs.Bool("json", false, "print the history as JSON (as GET /api/v1/players/STEAMID)")
	pos, _, err := parseFlags(fs, args, 1)
	if err != nil {
		return err
	}
	id, err := views.ParsePlayerID(pos[0])
	if err != nil {
		return err
	}
	return withApp(ctx, env, func(a *app) error {
		h, err := a.store.Player(ctx, id, nil)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("no instance has seen %s: %w", pos[0], err)
		}
		if err != nil {
			return err
		}
		v := views.NewPlayerHistory(h)
		if *asJSON {
			return writeJSON(env.stdout, v)
		}
		total := func(s int64) string { return (time.Duration(s) * time.Second).String() }
		fmt.Fprintf(env.stdout, "%s (%s)\nnames: %s\nfirst seen: %s\nlast seen: %s\ntotal: %s\n", v.SteamID, v.SteamID64,
			strings.Join(v.Names, ", "), v.FirstSeen.Local().Format(time.DateTime), v.LastSeen.Local().Format(time.DateTime), total(v.TotalSeconds))
		for _, p := range v.Instances {
			online := ""
			if p.Online {
				online = ", online"
			}
			fmt.Fprintf(env.stdout, "  %s: %s in %d sessions%s, %s to %s, as %s\n", p.Instance, total(p.TotalSeconds), p.Sessions, online,
				p.FirstSeen.Local().Format(time.DateTime), p.LastSeen.Local().Format(time.DateTime), strings.Join(p.Names, ", "))
		}
		return nil
	})
}

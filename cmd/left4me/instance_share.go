package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/left4me/left4me/internal/rcon"
	"github.com/left4me/left4me/internal/roles"
	"github.com/left4me/left4me/internal/store"
	"github.com/left4me/left4me/internal/views"
)

// instanceShare shares an instance with an account in a role, or changes
// the role of its share, under the panel's rules (roles.Grant). The CLI
// acts as the host's administrator.
func instanceShare(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	role := fs.String("role", "", "what the account may do: viewer, operator or admin (required)")
	asJSON := fs.Bool("json", false, "print the share as JSON")
	pos, _, err := parseFlags(fs, args, 2)
	if err != nil {
		return err
	}
	if _, err := roles.ParseRole(*role); err != nil {
		return err
	}
	return withApp(ctx, env, func(a *app) error {
		in, err := a.svc.Get(ctx, pos[0])
		if err != nil {
			return err
		}
		u, rl, err := roles.Grant(ctx, a.store, store.User{}, in, pos[1], *role)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(env.stdout, views.NewShare(u.Name, rl))
		}
		fmt.Fprintf(env.stdout, "shared %s with %s as %s\n", in.Name, u.Name, rl)
		return nil
	})
}

// instanceUnshare withdraws a share and rotates the instance's RCON
// password, set live on a running server (roles.Withdraw, as the panel).
func instanceUnshare(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	pos, _, err := parseFlags(fs, args, 2)
	if err != nil {
		return err
	}
	return withApp(ctx, env, func(a *app) error {
		in, err := a.svc.Get(ctx, pos[0])
		if err != nil {
			return err
		}
		console := rcon.New(rconOnce{}, a.svc, a.store, a.cfg.RCONPolicy)
		u, liveErr, err := roles.Withdraw(ctx, a.store, a.svc, console, in, pos[1])
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "withdrew the share of %s from %s; its RCON password is new", in.Name, u.Name)
		switch {
		case liveErr == nil:
			fmt.Fprintln(env.stdout, " and set on the running server")
		case errors.Is(liveErr, rcon.ErrNotRunning), errors.Is(liveErr, rcon.ErrUnavailable):
			fmt.Fprintln(env.stdout, " and applies at the next start")
		default:
			fmt.Fprintf(env.stdout, "\nsetting it on the running server failed (%v): restart %s so the old one no longer works\n", liveErr, in.Name)
		}
		return nil
	})
}

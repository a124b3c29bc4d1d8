package main

import (
	"context"
	"fmt"
)

// runMigrate creates the state root's database or brings it to the newest
// schema (opening the store applies every pending migration). The Debian
// package's postinst runs it as user left4me; the commands that only read
// refuse a state root without a database instead of creating one.
func runMigrate(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	if _, _, err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	cfg, err := env.config()
	if err != nil {
		return err
	}
	return withApp(ctx, env, func(a *app) error {
		fmt.Fprintf(env.stdout, "database %s: at the newest schema\n", cfg.DatabasePath)
		return nil
	})
}

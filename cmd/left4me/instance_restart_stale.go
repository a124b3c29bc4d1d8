package main

import (
	"context"
	"fmt"

	"github.com/left4me/left4me/internal/content"
)

// instanceRestartStale is the rolling restart (the installation page's
// button, content.RestartStale): the running instances staged on an older
// generation of the installation or of a layer are restarted one after
// another and move to the newest; it stops at the first failure.
func instanceRestartStale(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	if _, _, err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	return withApp(ctx, env, func(a *app) error {
		if a.proc != nil {
			return errChildSupervisor
		}
		names, _, err := content.RestartStale(ctx, a.cfg.Root, a.svc, newCLIProgress(env.stdout, env.stderr))
		if err != nil {
			return err
		}
		if len(names) == 0 {
			fmt.Fprintln(env.stdout, "no running instance is on an older generation; nothing to restart")
		}
		return nil
	})
}

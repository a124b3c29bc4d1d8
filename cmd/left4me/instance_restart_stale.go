package main

import (
	"context"
	"fmt"

	"github.com/left4me/left4me/internal/schedule"
)

// instanceRestartStale queues the rolling restart (the installation page's
// button, schedule.KindRollingRestart) for the panel's workers: the running
// instances staged on an older generation of the installation or of a
// layer are restarted, each when nobody plays on it, at most --parallel at
// once. It prints the job to follow.
func instanceRestartStale(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	parallel := fs.Int("parallel", schedule.DefaultParallel, "restart at most this many instances at once")
	maxWait := fs.String("max-wait", "", "wait at most this long for each instance to empty (default 1h)")
	onTimeout := fs.String("on-timeout", "", "after --max-wait with players on: run (restart anyway, the default) or skip")
	if _, _, err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	return withApp(ctx, env, func(a *app) error {
		id, dup, err := a.schedules().EnqueueRollingRestart(ctx,
			schedule.RollingSpec{Parallel: *parallel, MaxWait: *maxWait, OnTimeout: *onTimeout}, 0)
		if err != nil {
			return err
		}
		what := "queued"
		if dup {
			what = "already queued or running:"
		}
		fmt.Fprintf(env.stdout, "rolling restart %s job %d; the panel runs it (left4me job show %d)\n", what, id, id)
		return nil
	})
}

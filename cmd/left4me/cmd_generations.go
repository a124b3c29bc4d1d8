package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/left4me/left4me/internal/canary"
	"github.com/left4me/left4me/internal/content"
	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/schedule"
)

// printPins prints an instance's pins after a change.
func printPins(env *cliEnv, in instance.Instance) {
	if len(in.Pins) == 0 {
		fmt.Fprintf(env.stdout, "%s is pinned to nothing: it starts on the default generations\n", in.Name)
		return
	}
	fmt.Fprintf(env.stdout, "%s is pinned to %s (from its next start; `left4me instance update %s --unpin all` ends it)\n", in.Name, instance.FormatPins(in.Pins), in.Name)
}

// parseFlagsAtMost is parseFlags for a verb with up to most positional
// arguments.
func parseFlagsAtMost(fs *flag.FlagSet, args []string, most int) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, fmt.Errorf("%w: %w", errUsage, err)
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		pos, args = append(pos, args[0]), args[1:]
	}
	if len(pos) > most {
		fs.Usage()
		return nil, fmt.Errorf("%w: want at most %d argument(s), got %d", errUsage, most, len(pos))
	}
	return pos, nil
}

// installRollback is `left4me install --rollback [GEN]` (content.Rollback).
func installRollback(env *cliEnv, root layout.Root, gen string) error {
	from, to, err := content.Rollback(root, gen)
	if err != nil {
		return err
	}
	if from == to {
		fmt.Fprintf(env.stdout, "installation generation %s is the default already\n", to)
		return nil
	}
	fmt.Fprintf(env.stdout, "installation generation %s is the default now (was %s); instances move to it at their next restart: `left4me instance restart-stale` restarts the running ones one after another\n", to, from)
	return nil
}

// installCanaryOnly queues a canary of an existing generation:
// `left4me install --canary NAME --generation GEN`.
func installCanaryOnly(ctx context.Context, env *cliEnv, a *app, name, gen string) error {
	args := canary.Args{Instance: name, Generation: gen}
	if err := canary.Check(ctx, a.cfg.Root, a.svc, args); err != nil {
		return err
	}
	id, dup, err := canary.Enqueue(ctx, a.jobs, args, 0)
	if err != nil {
		return err
	}
	printCanaryQueued(env, id, dup, name, gen)
	return nil
}

func printCanaryQueued(env *cliEnv, id int64, dup bool, name, gen string) {
	if dup {
		fmt.Fprintf(env.stdout, "this canary is already queued or running: job %d\n", id)
		return
	}
	fmt.Fprintf(env.stdout, "queued job %d (%s): %s tries installation generation %s; the panel's workers run it, `left4me job show %d` follows it\n", id, canary.Kind, name, gen, id)
}

// checkCanary refuses a canary instance that does not exist before an
// install starts.
func checkCanary(ctx context.Context, a *app, name string) error {
	if name == "" {
		return nil
	}
	return canary.Check(ctx, a.cfg.Root, a.svc, canary.Args{Instance: name})
}

// afterInstallCanary queues the canary of a generation a foreground
// install published.
func afterInstallCanary(ctx context.Context, env *cliEnv, a *app, name string, res content.InstallResult) error {
	if name == "" {
		return nil
	}
	if res.UpToDate {
		fmt.Fprintf(env.stdout, "no new generation: nothing for the canary on %s to try\n", name)
		return nil
	}
	id, dup, err := canary.Enqueue(ctx, a.jobs, canary.Args{Instance: name, Generation: res.Generation}, 0)
	if err != nil {
		return fmt.Errorf("generation %s is published but held back (the default stays %s); queue its canary: %w", res.Generation, layout.HeldDefault(a.cfg.Root.Installations()), err)
	}
	printCanaryQueued(env, id, dup, name, res.Generation)
	return nil
}

// panelCanary builds the canary service the panel's workers run
// (canary.Kind jobs) and registers it on a.jobs: the server is queried on
// the query host, its console read from a.logs, and a pass queues the
// rolling restart of sched. The console is watched for
// LEFT4ME_CANARY_WINDOW with LEFT4ME_CANARY_PATTERNS (config.go).
func panelCanary(a *app, sched *schedule.Service) error {
	svc := canary.New(canary.Config{
		Root: a.cfg.Root, Instances: a.svc, Logs: a.logs, Host: a.cfg.queryHost(),
		Notifier: a.notify, Logger: a.log,
		Window: a.cfg.CanaryWindow, Patterns: a.cfg.CanaryPatterns,
		Promote: func(ctx context.Context, userID int64) (int64, error) {
			id, _, err := sched.EnqueueRollingRestart(ctx, schedule.RollingSpec{}, userID)
			return id, err
		},
	})
	if err := svc.RegisterJobs(a.jobs); err != nil {
		return fmt.Errorf("register canary jobs: %w", err)
	}
	return nil
}

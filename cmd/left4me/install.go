package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/left4me/left4me/internal/content"
	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/steamcmd"
)

// steamCmdPath finds steamcmd: LEFT4ME_STEAMCMD (or STEAMCMD), else
// ROOT/steam/steamcmd.sh, else steamcmd on PATH. When the path it settles
// on is ROOT/steam/steamcmd.sh and missing, steamcmd is downloaded there
// (LEFT4ME_STEAMCMD_URL, default Valve's bundle).
func steamCmdPath(ctx context.Context, stderr io.Writer, cfg Config) (string, error) {
	root := cfg.Root
	own := filepath.Join(root.Steam(), steamcmd.Script)
	p := cfg.Content.SteamCmd
	if p == "" {
		if _, err := os.Stat(own); err == nil {
			return own, nil
		}
		if lp, err := exec.LookPath("steamcmd"); err == nil {
			return lp, nil
		}
		p = own
	}
	if filepath.Clean(p) == own {
		url := cfg.Content.SteamCmdURL
		if url == "" {
			url = steamcmd.DefaultURL
		}
		did, err := steamcmd.Bootstrap(ctx, nil, url, root.Steam())
		if err != nil {
			return "", err
		}
		if did {
			fmt.Fprintf(stderr, "installed steamcmd into %s\n", root.Steam())
		}
	}
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("steamcmd: %w (set %s in /etc/left4me/host.env)", err, envSteamCmd)
	}
	return p, nil
}

// contentService builds the content service for a. Its GC (the panel's
// daily job) keeps superseded generations for LEFT4ME_GENERATION_GRACE.
func contentService(a *app) (*content.Service, func()) {
	cfg := content.Config{Root: a.cfg.Root, Logger: a.log, Grace: a.cfg.Content.GenerationGrace,
		Prune: []func(context.Context) (string, error){a.audit.Prune}}
	closeFn := func() {}
	if a.cfg.useSystemdSandbox() {
		ss := &content.SystemdSandbox{JournalNamespace: a.cfg.JournalNamespace}
		cfg.Sandbox = ss
		closeFn = func() { ss.Close() }
	} else {
		cfg.Sandbox = content.DevSandbox{Path: a.cfg.Content.Path}
	}
	// The sdk32 link belongs in the service user's home (the state root in
	// the shipped sysusers.d); a developer's own ~/.steam is left alone.
	if u, err := user.Current(); err == nil && u.Username == "left4me" && u.HomeDir != "" {
		cfg.SDKHome = u.HomeDir
	}
	return content.NewService(cfg, a.store), closeFn
}

func runInstall(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	validate := fs.Bool("validate", false, "verify every file of the game (publishes a new generation even without an update)")
	path := fs.String("steamcmd", "", "steamcmd.sh to run (default: $"+envSteamCmd+", ROOT/steam/steamcmd.sh, steamcmd on PATH)")
	list := fs.Bool("list", false, "list installation generations")
	gc := fs.Bool("gc", false, "garbage-collect unused generations of the installation and of every layer")
	grace := fs.Duration("grace", 0, "with --gc: keep superseded generations this long (default $"+envGrace+" or 24h)")
	queue := fs.Bool("queue", false, "queue the install as a background job for the panel's workers instead of running it here")
	rollback := fs.Bool("rollback", false, "make an older kept generation (GEN, default the one before the current default) the default of new starts again; instances move at their next restart")
	canaryName := fs.String("canary", "", "try a new generation on this instance first (a job of the panel): the others stay on the current default until it passes, then a rolling restart moves them")
	generation := fs.String("generation", "", "with --canary: try this existing generation instead of installing one")
	pos, err := parseFlagsAtMost(fs, args, 1)
	if err != nil {
		return err
	}
	if *queue && *path != "" {
		return fmt.Errorf("%w: --queue and --steamcmd: the panel's workers run their own steamcmd", errUsage)
	}
	if len(pos) > 0 && !*rollback {
		return fmt.Errorf("%w: %q: only --rollback takes a generation", errUsage, pos[0])
	}
	if *generation != "" && *canaryName == "" {
		return fmt.Errorf("%w: --generation goes with --canary NAME", errUsage)
	}
	cfg, err := env.config()
	if err != nil {
		return err
	}
	switch {
	case *rollback:
		if err := requireState(cfg); err != nil {
			return err
		}
		gen := ""
		if len(pos) > 0 {
			gen = pos[0]
		}
		return installRollback(env, cfg.Root, gen)
	case *canaryName != "" && *generation != "":
		return withApp(ctx, env, func(a *app) error { return installCanaryOnly(ctx, env, a, *canaryName, *generation) })
	case *list:
		if err := requireState(cfg); err != nil {
			return err
		}
		return installList(env, cfg.Root)
	case *gc:
		return runGC(ctx, env, cfg, *grace)
	case *queue:
		return withApp(ctx, env, func(a *app) error {
			if err := checkCanary(ctx, a, *canaryName); err != nil {
				return err
			}
			id, dup, err := content.EnqueueInstall(ctx, a.jobs, content.InstallArgs{Validate: *validate, Canary: *canaryName}, 0)
			if err != nil {
				return err
			}
			if dup {
				fmt.Fprintf(env.stdout, "an install is already queued or running: job %d\n", id)
			} else {
				fmt.Fprintf(env.stdout, "queued job %d (%s)\n", id, content.KindInstall)
			}
			return nil
		})
	}
	return withApp(ctx, env, func(a *app) error {
		if err := checkCanary(ctx, a, *canaryName); err != nil {
			return err
		}
		svc, closeSvc := contentService(a)
		defer closeSvc()
		box := &content.SystemdSandbox{JournalNamespace: a.cfg.JournalNamespace}
		defer box.Close()
		runner, err := installRunner(ctx, env.stderr, a, box, *path)
		if err != nil {
			return err
		}
		res, err := svc.InstallHolding(ctx, runner, *validate, *canaryName != "", 0, newCLIProgress(env.stdout, env.stderr))
		if err != nil {
			if res.BuildDir != "" {
				fmt.Fprintf(env.stderr, "log: %s\n", filepath.Join(res.BuildDir, content.BuildLog))
			}
			return err
		}
		if res.UpToDate {
			fmt.Fprintf(env.stdout, "build %s is already installed (generation %s)\n", res.BuildID, res.Generation)
			return afterInstallCanary(ctx, env, a, *canaryName, res)
		}
		fmt.Fprintf(env.stdout, "installed build %s as generation %s\n", res.BuildID, res.Generation)
		if *canaryName != "" {
			return afterInstallCanary(ctx, env, a, *canaryName, res)
		}
		if res.Previous != "" {
			fmt.Fprintf(env.stdout, "instances move to it when they restart; `left4me install --list` shows who still runs %s, `left4me instance restart-stale` restarts them one after another\n", res.Previous)
		}
		return nil
	})
}

func installList(env *cliEnv, root layout.Root) error {
	gens, err := content.InstallGenerations(root)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "GENERATION\tBUILD\tNEWEST\tDEFAULT\tINSTANCES\tPINNED BY")
	for _, g := range gens {
		build, newest, def := g.BuildID, "", ""
		if build == "" {
			build = "?"
		}
		if g.Newest {
			newest = "yes"
		}
		if g.Default {
			def = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", g.Name, build, newest, def, strings.Join(g.UsedBy, ","), strings.Join(g.PinnedBy, ","))
	}
	return tw.Flush()
}

func runGC(ctx context.Context, env *cliEnv, cfg Config, grace time.Duration) error {
	// A negative grace would make every superseded generation due at once.
	if grace < 0 {
		return fmt.Errorf("%w: --grace %s: must not be negative", errUsage, grace)
	}
	if grace == 0 {
		grace = cfg.Content.GenerationGrace
	}
	removed, err := content.GC(ctx, cfg.Root, content.GCOptions{Grace: grace})
	for _, r := range removed {
		fmt.Fprintf(env.stdout, "removed %s\n", r)
	}
	if len(removed) == 0 && err == nil {
		fmt.Fprintln(env.stdout, "nothing to remove")
	}
	return err
}

// cliProgress is the progress printer of every command that runs a job in
// the foreground: log lines go to out, progress to errw when the message
// changes, every five points and at 100%.
type cliProgress struct {
	mu       sync.Mutex
	out, err io.Writer
	lastMsg  string
	lastPct  int
}

func newCLIProgress(out, errw io.Writer) *cliProgress {
	return &cliProgress{out: out, err: errw, lastPct: -1}
}

func (p *cliProgress) Progress(f float64, msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pct := int(f * 100)
	if msg == p.lastMsg && pct < p.lastPct+5 && pct != 100 {
		return
	}
	p.lastMsg, p.lastPct = msg, pct
	fmt.Fprintf(p.err, "[%3d%%] %s\n", pct, msg)
}

func (p *cliProgress) Logf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.out, format+"\n", args...)
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/left4me/left4me/internal/content"
	"github.com/left4me/left4me/internal/events"
	"github.com/left4me/left4me/internal/live"
	"github.com/left4me/left4me/internal/notify"
	"github.com/left4me/left4me/internal/rcon"
	"github.com/left4me/left4me/internal/schedule"
	"github.com/left4me/left4me/internal/steam"
	"github.com/left4me/left4me/internal/steamcmd"
	"github.com/left4me/left4me/internal/web"
	"github.com/left4me/left4me/internal/workshop"
)

// DefaultListen is where the panel listens unless --listen or LEFT4ME_LISTEN say otherwise.
const DefaultListen = "127.0.0.1:8000"

// shutdownTimeout bounds the graceful shutdown of the HTTP server.
const shutdownTimeout = 10 * time.Second

// runServe serves the web panel and JSON API until SIGINT or SIGTERM.
func runServe(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	listen := fs.String("listen", "", "address to listen on (default $LEFT4ME_LISTEN, else "+DefaultListen+")")
	if _, _, err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	cfg, err := env.config()
	if err != nil {
		return err
	}
	if *listen == "" {
		*listen = cfg.listen()
	}
	cfg.Logger = slog.New(slog.NewTextHandler(env.stderr, nil))
	if cfg.LogListenerBind != "" && cfg.LogListenerAddr == "" {
		if cfg.LogListenerAddr, err = announce(cfg.LogListenerBind); err != nil {
			return err
		}
	}
	return servePanel(ctx, cfg, panelOptions{Listen: *listen, CookieSecure: cfg.SessionCookieSecure, Stderr: env.stderr}, nil)
}

// announce derives LOG_LISTENER_ADDR from LOG_LISTENER_BIND when only the
// latter is set: srcds needs a non-loopback address to send its log to.
func announce(bind string) (string, error) {
	ap, err := netip.ParseAddrPort(bind)
	if err != nil {
		return "", fmt.Errorf("LOG_LISTENER_BIND %q: want IP:PORT to derive LOG_LISTENER_ADDR from: %w", bind, err)
	}
	if ap.Port() == 0 {
		return "", fmt.Errorf("LOG_LISTENER_BIND %q: give a port, or set LOG_LISTENER_ADDR", bind)
	}
	addr, err := events.AnnounceAddr(ap)
	if err != nil {
		return "", err
	}
	return addr.String(), nil
}

// panelOptions are what serve and demo choose differently.
type panelOptions struct {
	Listen       string
	CookieSecure bool
	// Ready is called with the panel's URL once it accepts connections.
	Ready func(url string)
	// Stderr receives what steamcmd's bootstrap prints; nil discards it.
	Stderr io.Writer
}

// panelContent builds the content and Workshop services the panel drives
// and registers their job kinds on a.jobs (before the workers start). The
// returned function releases the build sandbox's bus connection.
func panelContent(stderr io.Writer, a *app) (*content.Service, *workshop.Service, func(), error) {
	csvc, closeFn := contentService(a)
	// One sandbox (bus connection) serves every install and Workshop
	// steamcmd download the panel runs.
	steamBox := &content.SystemdSandbox{JournalNamespace: a.cfg.JournalNamespace}
	wsvc := workshop.NewService(workshopConfig(stderr, a, steamBox), a.store)
	closeSandboxes := closeFn
	closeFn = func() { closeSandboxes(); steamBox.Close() }
	runner := func(ctx context.Context) (steamcmd.Runner, error) { return installRunner(ctx, stderr, a, steamBox, "") }
	if err := content.RegisterJobs(a.jobs, csvc, runner); err != nil {
		closeFn()
		return nil, nil, nil, fmt.Errorf("register content jobs: %w", err)
	}
	if err := workshop.RegisterJobs(a.jobs, wsvc); err != nil {
		closeFn()
		return nil, nil, nil, fmt.Errorf("register workshop jobs: %w", err)
	}
	if err := a.notify.RegisterJobs(a.jobs); err != nil {
		closeFn()
		return nil, nil, nil, fmt.Errorf("register webhook delivery jobs: %w", err)
	}
	return csvc, wsvc, closeFn, nil
}

// installRunner is the steamcmd runner of installs (the panel's jobs and
// left4me install): steamcmd in left4me-steamcmd@ with the systemd sandbox,
// else the host's steamcmd run directly. path overrides where steamcmd is;
// empty finds it, or downloads it, as steamCmdPath does. The host's copy is
// also what the sandbox unit binds.
func installRunner(ctx context.Context, stderr io.Writer, a *app, box *content.SystemdSandbox, path string) (steamcmd.Runner, error) {
	p := path
	if p == "" {
		var err error
		if p, err = steamCmdPath(ctx, stderr, a.cfg); err != nil {
			return nil, err
		}
	}
	if !a.cfg.useSystemdSandbox() {
		var r steamcmd.Runner = steamcmd.Direct{Path: p, Env: a.cfg.SteamCmdEnv}
		if note := a.cfg.SteamCmdNote; note != "" {
			r = notedRunner{Runner: r, note: note}
		}
		return r, nil
	}
	inSandbox := a.cfg.Content.SteamCmdInSandbox
	if inSandbox == "" {
		inSandbox = "/steam/" + steamcmd.Script
	}
	return content.SandboxSteamRunner{Root: a.cfg.Root, Sandbox: box, SteamCmd: inSandbox}, nil
}

// servePanel opens the app, runs setup (the demo's seeding), builds the
// panel's subsystems and runs them as parts (runParts) until ctx ends:
// they start in the order listed and stop in the reverse order, the HTTP
// server first and the job workers last. Then the content sandboxes' bus
// connection and the app close.
func servePanel(ctx context.Context, cfg Config, opt panelOptions, setup func(ctx context.Context, a *app) error) (err error) {
	lg := cfg.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	a, err := openApp(ctx, cfg)
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		err = errors.Join(err, a.Close(cctx))
	}()
	// Before clearing what a dead panel left: a live one answers here.
	sock, err := listenPanelSocket(cfg.Root, lg)
	if err != nil {
		return err
	}
	if sock != nil {
		defer sock.Close()
	}
	if a.proc != nil {
		// Servers and build scripts a panel that died left running, and
		// their overlays (docs/lifecycle.md, "Children of a dead panel").
		if err := a.proc.Reap(ctx); err != nil {
			lg.Warn("clear what a dead panel left behind", "err", err)
		}
	}
	if setup != nil {
		if err := setup(ctx, a); err != nil {
			return err
		}
	}
	// Content builds recorded as running before now belong to a process
	// that died (the panel's build jobs run only here, and a job retried
	// after a kill records a new build).
	started := time.Now()
	stderr := opt.Stderr
	if stderr == nil {
		stderr = io.Discard
	}
	csvc, wsvc, closeContent, err := panelContent(stderr, a)
	if err != nil {
		return err
	}
	// Runs after the parts have stopped: the job workers (their build units
	// stopped over the bus) before the sandbox's bus connection closes.
	defer closeContent()
	if n, err := csvc.RecoverBuilds(ctx, started); err != nil {
		lg.Warn("mark interrupted content builds failed", "err", err)
	} else if n > 0 {
		lg.Info("marked content builds of a stopped process failed", "builds", n)
	}

	var personas live.PersonaResolver
	if cfg.SteamWebAPIKey != "" {
		personas = steam.NewPersonaCache(steam.NewClient("", cfg.SteamWebAPIKey, nil), time.Hour)
	}
	poller := live.NewPoller(live.Config{OfflineSpan: cfg.OfflineSpan}, web.LiveTargets(a.svc, a.sup, cfg.queryHost()), personas, lg)
	a.svc.OnRunChange(poller.Changed) // a start, stop or restart shows at once
	console := web.RCONConsole(5 * time.Second)
	sched, err := panelSchedules(a, poller, console)
	if err != nil {
		return err
	}
	if err := panelCanary(a, sched); err != nil {
		return err
	}
	mtr := panelMetrics(a, poller, lg)
	panel, err := web.New(web.Config{
		Store: a.store, Instances: a.svc, Logs: a.logs, States: a.sup, Live: web.PollerLive(poller),
		Console: console, RCONPolicy: cfg.RCONPolicy, Logger: lg, CookieSecure: opt.CookieSecure,
		Jobs: a.jobs, Content: csvc, Workshop: wsvc, Root: cfg.Root, TrustedProxies: cfg.TrustedProxies,
		Schedules: sched, Backups: a.backups(),
		Webhooks: a.notify, Audit: a.audit,
		PublicHost:   a.publicHost,
		SteamCmdNote: a.cfg.SteamCmdNote,
		Metrics:      mtr,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", opt.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", opt.Listen, err)
	}
	mln, err := metricsListener(cfg.Metrics)
	if err != nil {
		ln.Close()
		return err
	}
	wd := newWatchdog(cfg, a, poller, lg)
	eventsParts, err := eventParts(cfg, a, lg, wd.ConsoleLine, web.PollOnEvent(poller))
	if err != nil {
		ln.Close()
		if mln != nil {
			mln.Close()
		}
		return err
	}

	// The panel's long-lived parts, in start order; they stop in reverse:
	// the HTTP server first, so that no request finds a stopped part, and
	// the job workers (with the daily Workshop refresh and GC, periodic
	// jobs of the queue) last.
	parts := []part{
		{"job workers", a.jobs.Run},
		{"live poller", poller.Run},
	}
	parts = append(parts, eventsParts...)
	parts = append(parts,
		watchdogPart(wd),
		part{"log capping", func(ctx context.Context) error { capLogsPeriodically(ctx, a.svc, lg); return nil }},
		part{"session sweep", func(ctx context.Context) error { sweepSessions(ctx, a, lg); return nil }},
		part{"scheduler", sched.Run},
		part{"ban expiry", func(ctx context.Context) error { a.banService(console).Run(ctx); return nil }},
		part{"crash watch", crashWatch(a, lg).Run},
		historyPart(a, poller, lg),
		part{"job events", func(ctx context.Context) error {
			notify.WatchJobs(ctx, a.jobs, a.notify, content.KindInstall)
			return nil
		}},
	)
	if sock != nil {
		parts = append(parts, part{"panel socket", localSocketPart(panel.LocalHandler(cfg.Supervisor), sock, lg)})
	}
	if mln != nil {
		parts = append(parts, metricsPart(mtr, cfg.Metrics, mln, lg))
	}
	parts = append(parts, part{"http server", httpServer(withMetrics(panel, mtr, cfg.Metrics), ln, lg, opt.Ready)})
	return runParts(ctx, parts)
}

// panelSchedules builds the schedule service the panel runs (the
// scheduler, the schedule and rolling-restart jobs) and registers its job
// kinds on a.jobs, before the workers start: players are counted by the
// live poller, commands go through the RCON console's policy, and stale
// instances are content.StaleRunning's.
func panelSchedules(a *app, poller *live.Poller, console web.Console) (*schedule.Service, error) {
	sched := schedule.New(schedule.Config{
		Store: a.store, Jobs: a.jobs, Instances: a.svc, RCONPolicy: a.cfg.RCONPolicy, Logger: a.log,
		Notifier: a.notify, Auditor: a.audit,
		Console: rcon.New(console, a.svc, a.store, a.cfg.RCONPolicy),
		Humans:  schedule.PollerHumans(poller),
		Stale:   func(ctx context.Context) ([]string, error) { return content.StaleRunning(ctx, a.cfg.Root, a.svc) },
		Backups: a.backups(),
	})
	if err := sched.RegisterJobs(); err != nil {
		return nil, fmt.Errorf("register schedule jobs: %w", err)
	}
	return sched, nil
}

// httpServer is the panel's HTTP server as a part: it serves on ln, calls
// ready with the URL, and when its context ends shuts down gracefully
// (within shutdownTimeout), ending long-lived responses (log streams).
func httpServer(h http.Handler, ln net.Listener, lg *slog.Logger, ready func(url string)) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		base, cancelBase := context.WithCancel(context.WithoutCancel(ctx))
		defer cancelBase()
		hs := &http.Server{
			Handler:           h,
			ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout:       2 * time.Minute,
			BaseContext:       func(net.Listener) context.Context { return base },
			ErrorLog:          slog.NewLogLogger(lg.Handler(), slog.LevelWarn),
		}
		hs.RegisterOnShutdown(cancelBase)
		serveErr := make(chan error, 1)
		go func() { serveErr <- hs.Serve(ln) }()
		url := "http://" + ln.Addr().String() + "/"
		lg.Info("panel listening", "url", url)
		if ready != nil {
			ready(url)
		}
		select {
		case err := <-serveErr:
			return fmt.Errorf("serve: %w", err)
		case <-ctx.Done():
		}
		lg.Info("shutting down")
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
		defer cancel()
		if err := hs.Shutdown(sctx); err != nil {
			return fmt.Errorf("shut down the HTTP server: %w", err)
		}
		return nil
	}
}

// sweepSessions deletes expired sessions every hour.
func sweepSessions(ctx context.Context, a *app, lg *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if n, err := a.store.DeleteExpiredSessions(ctx, time.Now()); err != nil && ctx.Err() == nil {
			lg.Warn("delete expired sessions", "err", err)
		} else if n > 0 {
			lg.Info("deleted expired sessions", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// crashWatch is the part that notices crashes the panel did not ask for
// (instance.crashed): units that failed, or that systemd restarted.
func crashWatch(a *app, lg *slog.Logger) *notify.CrashWatch {
	return &notify.CrashWatch{
		Names: func(ctx context.Context) ([]string, error) {
			all, err := a.svc.List(ctx)
			names := make([]string, 0, len(all))
			for _, in := range all {
				names = append(names, in.Name)
			}
			return names, err
		},
		// The systemd supervisor also counts its automatic restarts
		// (notify.RestartCounter).
		States: a.sup, Notifier: a.notify, Logger: lg,
	}
}

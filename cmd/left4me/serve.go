package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/left4me/left4me/internal/content"
	"github.com/left4me/left4me/internal/events"
	"github.com/left4me/left4me/internal/live"
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
	listen := fs.String("listen", envOr(env.getenv, "LEFT4ME_LISTEN", DefaultListen), "address to listen on (env LEFT4ME_LISTEN)")
	if _, _, err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	cfg, err := loadConfig(env.getenv)
	if err != nil {
		return err
	}
	cfg.Logger = slog.New(slog.NewTextHandler(env.stderr, nil))
	if cfg.LogListenerBind != "" && cfg.LogListenerAddr == "" {
		if cfg.LogListenerAddr, err = announce(cfg.LogListenerBind); err != nil {
			return err
		}
	}
	return servePanel(ctx, cfg, panelOptions{Listen: *listen, CookieSecure: cfg.SessionCookieSecure, Env: env}, nil)
}

func envOr(getenv func(string) string, name, def string) string {
	if v := getenv(name); v != "" {
		return v
	}
	return def
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
	// Env is the command's environment, read for the content services
	// (steamcmd, build sandbox, STEAM_API_BASE); nil means the process's.
	Env *cliEnv
}

// panelContent builds the content and Workshop services the panel drives
// and registers their job kinds on a.jobs (before the workers start). The
// returned function releases the build sandbox's bus connection.
func panelContent(env *cliEnv, a *app) (*content.Service, *workshop.Service, func(), error) {
	csvc, closeFn, err := contentService(env, a)
	if err != nil {
		return nil, nil, nil, err
	}
	base, err := steamAPIBase(env.getenv)
	if err != nil {
		closeFn()
		return nil, nil, nil, err
	}
	// One sandbox (bus connection) serves every install and Workshop
	// steamcmd download the panel runs.
	steamBox := &content.SystemdSandbox{JournalNamespace: a.cfg.JournalNamespace}
	wsvc := workshop.NewService(workshopConfig(env, a, base, steamBox), a.store)
	closeSandboxes := closeFn
	closeFn = func() { closeSandboxes(); steamBox.Close() }
	runner := func(ctx context.Context) (steamcmd.Runner, error) { return installRunner(ctx, env, a, steamBox, "") }
	if err := content.RegisterJobs(a.jobs, csvc, runner); err != nil {
		closeFn()
		return nil, nil, nil, fmt.Errorf("register content jobs: %w", err)
	}
	if err := workshop.RegisterJobs(a.jobs, wsvc); err != nil {
		closeFn()
		return nil, nil, nil, fmt.Errorf("register workshop jobs: %w", err)
	}
	return csvc, wsvc, closeFn, nil
}

// installRunner is the steamcmd runner of installs (the panel's jobs and
// left4me install): steamcmd in left4me-steamcmd@ with the systemd sandbox,
// else the host's steamcmd run directly. path overrides where steamcmd is;
// empty finds it, or downloads it, as steamCmdPath does. The host's copy is
// also what the sandbox unit binds.
func installRunner(ctx context.Context, env *cliEnv, a *app, box *content.SystemdSandbox, path string) (steamcmd.Runner, error) {
	p := path
	if p == "" {
		var err error
		if p, err = steamCmdPath(ctx, env, a.cfg.Root); err != nil {
			return nil, err
		}
	}
	sd, err := useSystemdSandbox(env.getenv, a.cfg)
	if err != nil {
		return nil, err
	}
	if !sd {
		return steamcmd.Direct{Path: p}, nil
	}
	inSandbox := strings.TrimSpace(env.getenv(envSandboxSteamCmd))
	if inSandbox == "" {
		inSandbox = "/steam/" + steamcmd.Script
	}
	return content.SandboxSteamRunner{Root: a.cfg.Root, Sandbox: box, SteamCmd: inSandbox}, nil
}

// servePanel opens the app, runs setup (the demo's seeding), then serves the
// panel with the live poller, the events recorder and session cleanup
// running beside it on the same context. On cancel it shuts the HTTP server
// down gracefully, stops the helpers and closes the app.
func servePanel(ctx context.Context, cfg Config, opt panelOptions, setup func(ctx context.Context, a *app) error) (err error) {
	lg := cfg.Logger
	a, err := openApp(ctx, cfg)
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err = errors.Join(err, a.Close(cctx))
	}()
	if setup != nil {
		if err := setup(ctx, a); err != nil {
			return err
		}
	}
	// Content builds recorded as running before now belong to a process
	// that died (the panel's build jobs run only here, and a job retried
	// after a kill records a new build).
	started := time.Now()
	env := opt.Env
	if env == nil {
		env = &cliEnv{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	}
	csvc, wsvc, closeContent, err := panelContent(env, a)
	if err != nil {
		return err
	}
	if n, err := csvc.RecoverBuilds(ctx, started); err != nil {
		lg.Warn("mark interrupted content builds failed", "err", err)
	} else if n > 0 {
		lg.Info("marked content builds of a stopped process failed", "builds", n)
	}
	defer func() {
		// Jobs stop (their build units stopped over the bus) before the
		// sandbox's bus connection closes; a.Close's Stop is then a no-op.
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err = errors.Join(err, a.jobs.Stop(sctx))
		closeContent()
	}()
	// Background jobs run here, every kind registered by panelContent; the
	// deferred Stop cancels running jobs, which run again at the next start.
	if err := a.jobs.Start(ctx); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel() // runs before wg.Wait

	var personas live.PersonaResolver
	if cfg.SteamWebAPIKey != "" {
		personas = steam.NewPersonaCache(steam.NewClient("", cfg.SteamWebAPIKey, nil), time.Hour)
	}
	poller := live.NewPoller(live.Config{OfflineSpan: cfg.OfflineSpan}, web.LiveTargets(a.svc, a.sup, cfg.queryHost()), personas, lg)
	wg.Go(func() { poller.Run(ctx) })
	if err := startEvents(ctx, &wg, cfg, a, lg); err != nil {
		return err
	}
	wg.Go(func() { capLogsPeriodically(ctx, a.svc, lg) })
	wg.Go(func() { sweepSessions(ctx, a, lg) })

	panel, err := web.New(web.Config{
		Store: a.store, Instances: a.svc, Logs: a.logs, States: a.sup, Live: web.PollerLive(poller),
		Console: web.RCONConsole(5 * time.Second), Logger: lg, CookieSecure: opt.CookieSecure,
		Jobs: a.jobs, Content: csvc, Workshop: wsvc, Root: cfg.Root,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", opt.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", opt.Listen, err)
	}
	// Long-lived responses (log streams) end when the server shuts down.
	base, cancelBase := context.WithCancel(context.Background())
	defer cancelBase()
	hs := &http.Server{
		Handler:           panel,
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
	if opt.Ready != nil {
		opt.Ready(url)
	}
	select {
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	lg.Info("shutting down")
	sctx, scancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer scancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("shut down the HTTP server: %w", err)
	}
	return nil
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

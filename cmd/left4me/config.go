package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/left4me/left4me/internal/audit"
	"github.com/left4me/left4me/internal/content"
	"github.com/left4me/left4me/internal/hostaddr"
	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/jobs"
	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/rcon"
	"github.com/left4me/left4me/internal/workshop"
)

// queryHost resolves LEFT4ME_QUERY_HOST: the configured address, else the
// host's primary address, else that of LOG_LISTENER_ADDR. Without any it falls back to 127.0.0.1 with a
// warning: the real game server ignores A2S there (docs/srcds.md §8), so
// players then show without scores (RCON status still lists them).
func (c Config) queryHost() netip.Addr {
	a, err := hostaddr.Resolve(envQueryHost, c.QueryHost)
	if err != nil && c.QueryHost == "" && c.LogListenerAddr != "" {
		// The address announced for UDP logs is a non-loopback address of
		// this host too (events.AnnounceAddr also finds one on lo).
		if ap, perr := netip.ParseAddrPort(c.LogListenerAddr); perr == nil {
			return ap.Addr()
		}
	}
	if err != nil {
		if c.Logger != nil {
			c.Logger.Warn("no address for A2S queries; using 127.0.0.1, which the game server ignores (players show without scores)", "err", err)
		}
		return netip.AddrFrom4([4]byte{127, 0, 0, 1})
	}
	return a
}

// envPublicHost names the address players connect to.
const envPublicHost = "LEFT4ME_PUBLIC_HOST"

// parsePublicHost checks LEFT4ME_PUBLIC_HOST: a DNS name (l4d.example.com)
// or an IP address, without a port or scheme; empty is the default.
func parsePublicHost(v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", nil
	}
	if a, err := netip.ParseAddr(v); err == nil {
		if a.IsUnspecified() {
			return "", fmt.Errorf("%s %q: an address players can reach, not the unspecified one", envPublicHost, v)
		}
		return a.Unmap().String(), nil
	}
	bad := len(v) > 253 || strings.HasPrefix(v, "-") || strings.HasPrefix(v, ".") || strings.Contains(v, "..")
	for _, r := range v {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			bad = true
		}
	}
	if bad {
		return "", fmt.Errorf("%s %q: want the host name or IP address players connect to, such as l4d.example.com or 203.0.113.7 (no port, no scheme)", envPublicHost, v)
	}
	return strings.ToLower(v), nil
}

// publicHost is the host of "connect HOST:PORT": LEFT4ME_PUBLIC_HOST, else
// the host's primary address, else none (the views then leave it out).
func (c Config) publicHost() string {
	if c.PublicHost != "" {
		return c.PublicHost
	}
	a, err := hostaddr.Primary()
	if err != nil {
		return ""
	}
	return a.String()
}

// Supervisor backends (LEFT4ME_SUPERVISOR).
const (
	supervisorSystemd = "systemd"
	supervisorProcess = "process"
)

// Config is left4me's configuration, read from the environment (the
// variables of /etc/left4me/host.env and web.env, docs/operations.md §2) by
// loadConfig. This file is the one place the commands read the environment
// (besides main's marker of the process supervisor's namespace child);
// nothing below cmd/ reads it: the values are passed in from here
// (TestNoEnvironmentReadsBelowCmd).
type Config struct {
	Root         layout.Root // LEFT4ME_ROOT
	DatabasePath string      // DATABASE_URL: a path or sqlite:///path; default ROOT/left4me.db
	PortMin      int         // LEFT4ME_PORT_RANGE_START
	// BackupDir holds the instances' backups (LEFT4ME_BACKUP_DIR, an
	// absolute path or one relative to the state root; default
	// ROOT/backups).
	BackupDir string
	PortMax   int // LEFT4ME_PORT_RANGE_END
	// LogListenerAddr is announced to servers with logaddress_add
	// (LOG_LISTENER_ADDR, host:port, not loopback); empty disables it.
	LogListenerAddr string
	// LogListenerBind is where the UDP log listener binds (LOG_LISTENER_BIND).
	LogListenerBind string
	// QueryHost is the address of this host the panel sends A2S queries to
	// (LEFT4ME_QUERY_HOST; not loopback, which the game server ignores).
	// Empty: the host's primary address, found when the panel starts.
	QueryHost string
	// PublicHost is the name or address players connect to, shown as
	// "connect HOST:PORT" by the panel, the API and instance show
	// (LEFT4ME_PUBLIC_HOST: a DNS name or an IP address). Empty: the
	// host's primary address (publicHost).
	PublicHost string
	// OfflineSpan is how long a server must fail every poll before the
	// panel shows it offline (LEFT4ME_OFFLINE_AFTER, a duration, default
	// 45s): longer than a map load, which stalls the server.
	OfflineSpan time.Duration
	// WatchdogGrace is how long a running server must answer neither RCON
	// nor A2S and print nothing before the watchdog restarts it
	// (LEFT4ME_WATCHDOG_GRACE, a duration from 10s to 1h; zero: the
	// watchdog's default, 60s).
	WatchdogGrace time.Duration
	// RCONPolicy names the secret cvars of the RCON console: the defaults
	// (rcon.Policy) plus LEFT4ME_RCON_SECRETS, names separated by commas
	// or spaces.
	RCONPolicy          rcon.Policy
	SteamWebAPIKey      string // STEAM_WEB_API_KEY
	SessionCookieSecure bool   // SESSION_COOKIE_SECURE, default true
	Supervisor          string // LEFT4ME_SUPERVISOR: "systemd" (default) or "process"
	JournalNamespace    string // LEFT4ME_JOURNAL_NAMESPACE, for journalctl --namespace=
	// TrustedProxies are the reverse proxies whose X-Forwarded-For gives
	// the client address the login limits count by
	// (LEFT4ME_TRUSTED_PROXIES: addresses or prefixes, or "none"; default
	// loopback, where the documented proxy runs).
	TrustedProxies []netip.Prefix
	// Jobs tunes background jobs: JOB_WORKER_THREADS, and the daily jobs
	// WORKSHOP_REFRESH_AT (the Workshop refresh) and LEFT4ME_GC_AT (the
	// content GC).
	Jobs jobs.Config
	// LogCap bounds each instance's log files: LEFT4ME_LOG_FILES,
	// LEFT4ME_LOG_MIB.
	LogCap instance.LogCap
	// Listen is serve's default for --listen (LEFT4ME_LISTEN; empty:
	// DefaultListen).
	Listen string
	// Content is how installs, builds and Workshop downloads run.
	Content ContentConfig
	// WebhookAllowLoopback lets webhooks reach loopback addresses, for a
	// bridge on this host (LEFT4ME_WEBHOOK_ALLOW_LOOPBACK, default false).
	WebhookAllowLoopback bool
	// AuditRetention is how long audit entries are kept
	// (LEFT4ME_AUDIT_RETENTION: days such as 180d, or a duration; default
	// 180 days); the daily GC prunes older ones.
	AuditRetention time.Duration
	// CanaryWindow is how long a canary's console is watched
	// (LEFT4ME_CANARY_WINDOW, a duration; 0: canary.DefaultWindow);
	// CanaryPatterns are the console lines that fail it
	// (LEFT4ME_CANARY_PATTERNS, separated by "|"; nil: the defaults).
	CanaryWindow   time.Duration
	CanaryPatterns []string
	// SteamCmdEnv is added to steamcmd's environment when it runs
	// directly; not from the environment (the demo sets its stand-in's
	// knobs).
	SteamCmdEnv []string
	// SteamCmdNote names a steamcmd that is not Valve's: the install job's
	// log begins with it and the Installation page shows it (the demo's
	// stand-in); not from the environment.
	SteamCmdNote string
	// AdminPassword is the password user create and user passwd set
	// without asking (LEFT4ME_ADMIN_PASSWORD).
	AdminPassword string
	// Environ is the environment left4me was started with, as os.Environ
	// gives it; not parsed. Servers the process supervisor starts get it
	// without left4me's own variables (process.Config.Env).
	Environ []string

	// Metrics is who may read the Prometheus metrics, and where
	// (LEFT4ME_METRICS_TOKEN, LEFT4ME_METRICS_LISTEN; loadMetricsConfig).
	Metrics MetricsConfig
	// HistoryEvery is how often the panel samples its history; not from
	// the environment (tests shorten it). history.Interval when zero.
	HistoryEvery time.Duration

	// Logger receives operational messages; not from the environment. Nil
	// discards them.
	Logger *slog.Logger
}

// ContentConfig is the content commands' part of Config (host.env). Empty
// fields take the defaults noted.
type ContentConfig struct {
	// SteamCmd is steamcmd.sh on the host (LEFT4ME_STEAMCMD, else
	// STEAMCMD); empty finds it (steamCmdPath).
	SteamCmd string
	// SteamCmdURL is where a missing ROOT/steam/steamcmd.sh is downloaded
	// from (LEFT4ME_STEAMCMD_URL; empty: steamcmd.DefaultURL).
	SteamCmdURL string
	// SteamCmdInSandbox is steamcmd.sh as the left4me-steamcmd@ sandbox
	// sees it (LEFT4ME_STEAMCMD_IN_SANDBOX; empty: /steam/steamcmd.sh).
	SteamCmdInSandbox string
	// BuildSandbox is where builds run (LEFT4ME_BUILD_SANDBOX): "systemd",
	// "none", or empty for the supervisor's default (useSystemdSandbox).
	BuildSandbox string
	// GenerationGrace is how long superseded generations are kept
	// (LEFT4ME_GENERATION_GRACE; 0: content.DefaultGrace).
	GenerationGrace time.Duration
	// SteamAPIBase is the Steam Web API address of Workshop lookups
	// (STEAM_API_BASE; empty: workshop.DefaultAPIBase).
	SteamAPIBase string
	// Path is the PATH of build scripts without the systemd sandbox
	// (PATH; empty: content.DefaultPath).
	Path string
}

// Environment of the content commands (host.env).
const (
	envSteamCmd        = "LEFT4ME_STEAMCMD"      // steamcmd.sh on the host
	envBuildSandbox    = "LEFT4ME_BUILD_SANDBOX" // "systemd" or "none"
	envSandboxSteamCmd = "LEFT4ME_STEAMCMD_IN_SANDBOX"
	envGrace           = "LEFT4ME_GENERATION_GRACE"
	envSteamCmdURL     = "LEFT4ME_STEAMCMD_URL"
	envSteamAPIBase    = "STEAM_API_BASE"
	envFakesrcds       = "LEFT4ME_FAKESRCDS"
)

// Build sandboxes (LEFT4ME_BUILD_SANDBOX).
const (
	sandboxSystemd = "systemd"
	sandboxNone    = "none"
)

// config is the command's Config: loadConfig over its environment, and the
// environment itself for the processes that inherit it.
func (e *cliEnv) config() (Config, error) {
	c, err := loadConfig(e.getenv)
	if err != nil {
		return Config{}, err
	}
	c.Environ = e.environment()
	return c, nil
}

// environment is the command's whole environment (nil when the caller gave
// none, as tests do).
func (e *cliEnv) environment() []string {
	if e.environ == nil {
		return nil
	}
	return e.environ()
}

// demoConfig is the demo's Config: its own state root and the process
// supervisor, and from the environment only what the demo honours (the
// port range, the content settings and LEFT4ME_FAKESRCDS, the stand-in
// server).
func demoConfig(env *cliEnv, root layout.Root) (cfg Config, fakesrcds string, err error) {
	cfg = Config{Root: root, DatabasePath: root.Database(), Supervisor: supervisorProcess, Environ: env.environment()}
	if cfg.PortMin, cfg.PortMax, err = loadPortRange(env.getenv); err != nil {
		return Config{}, "", err
	}
	if cfg.Content, err = loadContentConfig(env.getenv); err != nil {
		return Config{}, "", err
	}
	return cfg, strings.TrimSpace(env.getenv(envFakesrcds)), nil
}

// execServerEnv is what exec-server takes from its unit's environment
// (host.env and instance.env): the state root, and the whole environment,
// which srcds_run inherits verbatim.
func execServerEnv(env *cliEnv) (layout.Root, []string, error) {
	root, err := loadRoot(env.getenv)
	if err != nil {
		return "", nil, err
	}
	return root, env.environment(), nil
}

// loadRoot reads LEFT4ME_ROOT: an absolute path, default
// layout.DefaultRoot.
func loadRoot(getenv func(string) string) (layout.Root, error) {
	dir := getenv(layout.RootEnv)
	if dir == "" {
		dir = layout.DefaultRoot
	}
	root, err := layout.New(dir)
	if err != nil {
		return "", fmt.Errorf("%s: %w", layout.RootEnv, err)
	}
	return root, nil
}

// loadConfig reads Config from getenv. Every error names the variable.
func loadConfig(getenv func(string) string) (Config, error) {
	var c Config
	var err error
	if c.Root, err = loadRoot(getenv); err != nil {
		return Config{}, err
	}
	if c.DatabasePath, err = parseDatabaseURL(getenv("DATABASE_URL"), c.Root); err != nil {
		return Config{}, err
	}
	if c.BackupDir, err = parseBackupDir(getenv("LEFT4ME_BACKUP_DIR"), c.Root); err != nil {
		return Config{}, err
	}
	if c.PortMin, c.PortMax, err = loadPortRange(getenv); err != nil {
		return Config{}, err
	}
	if c.LogListenerAddr, err = parseLogAddr(getenv("LOG_LISTENER_ADDR")); err != nil {
		return Config{}, err
	}
	c.LogListenerBind = strings.TrimSpace(getenv("LOG_LISTENER_BIND"))
	if c.LogListenerBind != "" {
		if _, _, err := net.SplitHostPort(c.LogListenerBind); err != nil {
			return Config{}, fmt.Errorf("LOG_LISTENER_BIND %q: want host:port: %w", c.LogListenerBind, err)
		}
	}
	if c.QueryHost = strings.TrimSpace(getenv(envQueryHost)); c.QueryHost != "" {
		if _, err := hostaddr.Resolve(envQueryHost, c.QueryHost); err != nil {
			return Config{}, err
		}
	}
	if c.PublicHost, err = parsePublicHost(getenv(envPublicHost)); err != nil {
		return Config{}, err
	}
	if v := strings.TrimSpace(getenv("LEFT4ME_OFFLINE_AFTER")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second || d > time.Hour {
			return Config{}, fmt.Errorf("LEFT4ME_OFFLINE_AFTER %q: want a duration from 1s to 1h, such as 45s (longer than a map load)", v)
		}
		c.OfflineSpan = d
	}
	if v := strings.TrimSpace(getenv("LEFT4ME_WATCHDOG_GRACE")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 10*time.Second || d > time.Hour {
			return Config{}, fmt.Errorf("LEFT4ME_WATCHDOG_GRACE %q: want a duration from 10s to 1h, such as 60s (longer than a map load)", v)
		}
		c.WatchdogGrace = d
	}
	if c.RCONPolicy, err = rcon.NewPolicy(strings.FieldsFunc(getenv("LEFT4ME_RCON_SECRETS"), func(r rune) bool {
		return r == ',' || unicode.IsSpace(r)
	})); err != nil {
		return Config{}, fmt.Errorf("LEFT4ME_RCON_SECRETS: %w", err)
	}
	c.SteamWebAPIKey = strings.TrimSpace(getenv("STEAM_WEB_API_KEY"))
	if c.SessionCookieSecure, err = envBool(getenv, "SESSION_COOKIE_SECURE", true); err != nil {
		return Config{}, err
	}
	if c.TrustedProxies, err = parseTrustedProxies(getenv(envTrustedProxies)); err != nil {
		return Config{}, err
	}
	switch s := strings.TrimSpace(getenv("LEFT4ME_SUPERVISOR")); s {
	case "", supervisorSystemd:
		c.Supervisor = supervisorSystemd
	case supervisorProcess:
		c.Supervisor = supervisorProcess
	default:
		return Config{}, fmt.Errorf("LEFT4ME_SUPERVISOR %q: want %q or %q", s, supervisorSystemd, supervisorProcess)
	}
	c.JournalNamespace = strings.TrimSpace(getenv("LEFT4ME_JOURNAL_NAMESPACE"))
	if c.JournalNamespace != "" && strings.ContainsAny(c.JournalNamespace, " /\t\n") {
		return Config{}, fmt.Errorf("LEFT4ME_JOURNAL_NAMESPACE %q: not a namespace name", c.JournalNamespace)
	}
	if c.Jobs, err = loadJobsConfig(getenv); err != nil {
		return Config{}, err
	}
	if c.LogCap, err = parseLogCap(getenv); err != nil {
		return Config{}, err
	}
	c.Listen = strings.TrimSpace(getenv("LEFT4ME_LISTEN"))
	if c.Content, err = loadContentConfig(getenv); err != nil {
		return Config{}, err
	}
	c.AdminPassword = getenv(adminPasswordEnv)
	if c.WebhookAllowLoopback, c.AuditRetention, err = loadNotifyConfig(getenv); err != nil {
		return Config{}, err
	}
	if c.Metrics, err = loadMetricsConfig(getenv); err != nil {
		return Config{}, err
	}
	if c.CanaryWindow, c.CanaryPatterns, err = loadCanaryConfig(getenv); err != nil {
		return Config{}, err
	}
	return c, nil
}

// loadCanaryConfig reads LEFT4ME_CANARY_WINDOW (a duration of 1s to 1h)
// and LEFT4ME_CANARY_PATTERNS (console substrings separated by "|").
func loadCanaryConfig(getenv func(string) string) (window time.Duration, patterns []string, err error) {
	if v := strings.TrimSpace(getenv("LEFT4ME_CANARY_WINDOW")); v != "" {
		window, err = time.ParseDuration(v)
		if err != nil || window < time.Second || window > time.Hour {
			return 0, nil, fmt.Errorf("LEFT4ME_CANARY_WINDOW %q: want a duration from 1s to 1h, such as 60s", v)
		}
	}
	if v := getenv("LEFT4ME_CANARY_PATTERNS"); strings.TrimSpace(v) != "" {
		for _, p := range strings.Split(v, "|") {
			if p = strings.TrimSpace(p); p != "" {
				patterns = append(patterns, p)
			}
		}
	}
	return window, patterns, nil
}

// loadNotifyConfig reads LEFT4ME_WEBHOOK_ALLOW_LOOPBACK and
// LEFT4ME_AUDIT_RETENTION (days, "180d", or a Go duration of at least a
// day; default audit.DefaultRetention).
func loadNotifyConfig(getenv func(string) string) (loopback bool, retention time.Duration, err error) {
	if loopback, err = envBool(getenv, "LEFT4ME_WEBHOOK_ALLOW_LOOPBACK", false); err != nil {
		return false, 0, err
	}
	retention = audit.DefaultRetention
	if v := strings.TrimSpace(getenv("LEFT4ME_AUDIT_RETENTION")); v != "" {
		d, err := time.ParseDuration(v)
		if days, ok := strings.CutSuffix(v, "d"); ok {
			n, nerr := strconv.Atoi(days)
			d, err = time.Duration(n)*24*time.Hour, nerr
		}
		if err != nil || d < 24*time.Hour {
			return false, 0, fmt.Errorf("LEFT4ME_AUDIT_RETENTION %q: want a number of days such as 180d (at least 1d)", v)
		}
		retention = d
	}
	return loopback, retention, nil
}

// envTrustedProxies lists the reverse proxies the panel believes
// X-Forwarded-For from.
const envTrustedProxies = "LEFT4ME_TRUSTED_PROXIES"

// parseTrustedProxies reads LEFT4ME_TRUSTED_PROXIES: addresses or prefixes
// separated by commas or spaces; "none" trusts none; empty trusts loopback
// (127.0.0.0/8 and ::1), where the panel's reverse proxy runs
// (docs/operations.md §2).
func parseTrustedProxies(v string) ([]netip.Prefix, error) {
	v = strings.TrimSpace(v)
	switch strings.ToLower(v) {
	case "":
		return []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}, nil
	case "none":
		return nil, nil
	}
	var out []netip.Prefix
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		p, err := netip.ParsePrefix(f)
		if err != nil {
			a, aerr := netip.ParseAddr(f)
			if aerr != nil {
				return nil, fmt.Errorf("%s: %q is neither an address nor a prefix such as 10.0.0.0/24 (or none)", envTrustedProxies, f)
			}
			a = a.WithZone("").Unmap()
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// loadJobsConfig reads JOB_WORKER_THREADS (default 4) and the daily jobs:
// the Workshop refresh (WORKSHOP_REFRESH_AT, default 04:00) and the
// garbage collection of unused installation and layer generations
// (LEFT4ME_GC_AT, default 05:00, after the refresh). Times are "HH:MM"
// local time; "off" disables the job.
func loadJobsConfig(getenv func(string) string) (jobs.Config, error) {
	var c jobs.Config
	if v := strings.TrimSpace(getenv("JOB_WORKER_THREADS")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 64 {
			return jobs.Config{}, fmt.Errorf("JOB_WORKER_THREADS %q: want a number from 1 to 64", v)
		}
		c.Workers = n
	}
	for _, d := range []struct{ name, def, kind string }{
		{"WORKSHOP_REFRESH_AT", "04:00", workshop.KindRefresh},
		{"LEFT4ME_GC_AT", "05:00", content.KindGC},
	} {
		at := strings.TrimSpace(getenv(d.name))
		switch strings.ToLower(at) {
		case "off", "none", "never", "disabled":
			continue
		case "":
			at = d.def
		}
		s, err := jobs.ParseDailyAt(at, time.Local)
		if err != nil {
			return jobs.Config{}, fmt.Errorf("%s: %w (or off)", d.name, err)
		}
		c.Periodic = append(c.Periodic, jobs.Periodic{Kind: d.kind, Schedule: s})
	}
	return c, nil
}

// loadContentConfig reads the content settings (ContentConfig).
func loadContentConfig(getenv func(string) string) (ContentConfig, error) {
	var c ContentConfig
	for _, k := range []string{envSteamCmd, "STEAMCMD"} {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			c.SteamCmd = v
			break
		}
	}
	c.SteamCmdURL = strings.TrimSpace(getenv(envSteamCmdURL))
	c.SteamCmdInSandbox = strings.TrimSpace(getenv(envSandboxSteamCmd))
	switch v := strings.TrimSpace(getenv(envBuildSandbox)); v {
	case "", sandboxSystemd, sandboxNone:
		c.BuildSandbox = v
	default:
		return ContentConfig{}, fmt.Errorf("%s %q: want %q or %q", envBuildSandbox, v, sandboxSystemd, sandboxNone)
	}
	if v := strings.TrimSpace(getenv(envGrace)); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return ContentConfig{}, fmt.Errorf("%s: %w", envGrace, err)
		}
		if d < 0 {
			return ContentConfig{}, fmt.Errorf("%s=%s: must not be negative", envGrace, v)
		}
		c.GenerationGrace = d
	}
	if v := strings.TrimSpace(getenv(envSteamAPIBase)); v != "" {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return ContentConfig{}, fmt.Errorf("%s %q: want an http(s) URL such as %s", envSteamAPIBase, v, workshop.DefaultAPIBase)
		}
		c.SteamAPIBase = v
	}
	c.Path = getenv("PATH")
	return c, nil
}

// useSystemdSandbox decides where builds run: in left4me-build@ units
// (default with the systemd supervisor) or as plain, unsandboxed child
// processes (LEFT4ME_BUILD_SANDBOX=none; default with the process
// supervisor, for the demo and development).
func (c Config) useSystemdSandbox() bool {
	switch c.Content.BuildSandbox {
	case sandboxSystemd:
		return true
	case sandboxNone:
		return false
	}
	return c.Supervisor == supervisorSystemd
}

// listen is where serve listens without --listen.
func (c Config) listen() string {
	if c.Listen == "" {
		return DefaultListen
	}
	return c.Listen
}

// steamAPIBase is the Steam Web API address of Workshop lookups.
func (c ContentConfig) steamAPIBase() string {
	if c.SteamAPIBase == "" {
		return workshop.DefaultAPIBase
	}
	return c.SteamAPIBase
}

// parseLogCap reads LEFT4ME_LOG_FILES (the newest log files kept per
// instance, default instance.DefaultLogFiles) and LEFT4ME_LOG_MIB (MiB of
// log files kept per instance, default instance.DefaultLogBytes).
func parseLogCap(getenv func(string) string) (instance.LogCap, error) {
	var c instance.LogCap
	if v := strings.TrimSpace(getenv("LEFT4ME_LOG_FILES")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100000 {
			return c, fmt.Errorf("LEFT4ME_LOG_FILES %q: want a number of files between 1 and 100000", v)
		}
		c.Files = n
	}
	if v := strings.TrimSpace(getenv("LEFT4ME_LOG_MIB")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1<<20 {
			return c, fmt.Errorf("LEFT4ME_LOG_MIB %q: want a size in MiB between 1 and 1048576", v)
		}
		c.Bytes = int64(n) << 20
	}
	return c, nil
}

// parseDatabaseURL accepts a file path or an SQLAlchemy-style sqlite URL
// (sqlite:///abs/path, sqlite:////abs/path). Relative paths are relative to
// the state root.
// parseBackupDir reads LEFT4ME_BACKUP_DIR: empty is ROOT/backups, a
// relative path is under the state root.
func parseBackupDir(v string, root layout.Root) (string, error) {
	v = strings.TrimSpace(v)
	switch {
	case v == "":
		return root.Backups(), nil
	case strings.ContainsRune(v, 0):
		return "", fmt.Errorf("LEFT4ME_BACKUP_DIR %q: not a path", v)
	case !filepath.IsAbs(v):
		return filepath.Join(root.String(), v), nil
	}
	return filepath.Clean(v), nil
}

func parseDatabaseURL(v string, root layout.Root) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return root.Database(), nil
	}
	path := v
	if i := strings.Index(v, "://"); i >= 0 {
		if v[:i] != "sqlite" {
			return "", fmt.Errorf("DATABASE_URL %q: only sqlite is supported (a path or sqlite:///path)", v)
		}
		path = v[i+len("://"):]
		if i := strings.IndexByte(path, '?'); i >= 0 {
			return "", fmt.Errorf("DATABASE_URL %q: query parameters are not supported", v)
		}
	}
	if path == "" {
		return "", fmt.Errorf("DATABASE_URL %q: no file path", v)
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(root.String(), path)
	}
	return filepath.Clean(path), nil
}

// loadPortRange reads LEFT4ME_PORT_RANGE_START and _END, defaults
// instance.DefaultPortMin and DefaultPortMax.
func loadPortRange(getenv func(string) string) (lo, hi int, err error) {
	if lo, err = envPort(getenv, "LEFT4ME_PORT_RANGE_START", instance.DefaultPortMin); err != nil {
		return 0, 0, err
	}
	if hi, err = envPort(getenv, "LEFT4ME_PORT_RANGE_END", instance.DefaultPortMax); err != nil {
		return 0, 0, err
	}
	if lo > hi {
		return 0, 0, fmt.Errorf("LEFT4ME_PORT_RANGE_START %d is above LEFT4ME_PORT_RANGE_END %d", lo, hi)
	}
	return lo, hi, nil
}

func envPort(getenv func(string) string, name string, def int) (int, error) {
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("%s %q: want a port number between 1 and 65535", name, v)
	}
	return n, nil
}

func envBool(getenv func(string) string, name string, def bool) (bool, error) {
	switch v := strings.ToLower(strings.TrimSpace(getenv(name))); v {
	case "":
		return def, nil
	case "1", "true", "yes", "on":
		return true, nil
	case "0", "false", "no", "off":
		return false, nil
	default:
		return false, fmt.Errorf("%s %q: want true or false", name, v)
	}
}

// parseLogAddr checks LOG_LISTENER_ADDR: an IP and port that srcds will
// send to. The engine drops log destinations in 127.0.0.0/8 (docs/srcds.md §4).
func parseLogAddr(v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", nil
	}
	ap, err := netip.ParseAddrPort(v)
	if err != nil {
		return "", fmt.Errorf("LOG_LISTENER_ADDR %q: want IP:PORT: %w", v, err)
	}
	if ap.Addr().IsLoopback() || ap.Addr().IsUnspecified() || ap.Port() == 0 {
		return "", fmt.Errorf("LOG_LISTENER_ADDR %q: srcds ignores loopback and unspecified log destinations; use a non-loopback address of this host", v)
	}
	return ap.String(), nil
}

// MetricsConfig says who may read the panel's Prometheus metrics
// (internal/metrics), and where; never anyone by default
// (docs/operations.md, "History and metrics").
type MetricsConfig struct {
	// Token, when set, serves /metrics on the panel's address to requests
	// with "Authorization: Bearer TOKEN" (LEFT4ME_METRICS_TOKEN, at least
	// 16 characters).
	Token string
	// Listen, when set, serves /metrics on this address of its own
	// (LEFT4ME_METRICS_LISTEN, host:port, such as 127.0.0.1:9108), to
	// anyone who reaches it unless Token is set too.
	Listen string
}

// minMetricsToken is the shortest bearer token the metrics take.
const minMetricsToken = 16

// loadMetricsConfig reads LEFT4ME_METRICS_TOKEN and LEFT4ME_METRICS_LISTEN.
func loadMetricsConfig(getenv func(string) string) (MetricsConfig, error) {
	m := MetricsConfig{Token: strings.TrimSpace(getenv("LEFT4ME_METRICS_TOKEN")), Listen: strings.TrimSpace(getenv("LEFT4ME_METRICS_LISTEN"))}
	if m.Token != "" && (len(m.Token) < minMetricsToken || strings.ContainsAny(m.Token, " \t")) {
		return MetricsConfig{}, fmt.Errorf("LEFT4ME_METRICS_TOKEN: want at least %d characters without spaces, such as the output of openssl rand -hex 32", minMetricsToken)
	}
	if m.Listen != "" {
		if _, port, err := net.SplitHostPort(m.Listen); err != nil || port == "" {
			return MetricsConfig{}, fmt.Errorf("LEFT4ME_METRICS_LISTEN %q: want host:port, such as 127.0.0.1:9108", m.Listen)
		}
	}
	return m, nil
}

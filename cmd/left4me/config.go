package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/left4me/left4me/internal/content"
	"github.com/left4me/left4me/internal/hostaddr"
	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/jobs"
	"github.com/left4me/left4me/internal/layout"
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

// Supervisor backends (LEFT4ME_SUPERVISOR).
const (
	supervisorSystemd = "systemd"
	supervisorProcess = "process"
)

// Config is left4me's configuration, read from the environment (the
// variables of /etc/left4me/host.env and web.env, docs/operations.md §2).
type Config struct {
	Root         layout.Root // LEFT4ME_ROOT
	DatabasePath string      // DATABASE_URL: a path or sqlite:///path; default ROOT/left4me.db
	PortMin      int         // LEFT4ME_PORT_RANGE_START
	PortMax      int         // LEFT4ME_PORT_RANGE_END
	// LogListenerAddr is announced to servers with logaddress_add
	// (LOG_LISTENER_ADDR, host:port, not loopback); empty disables it.
	LogListenerAddr string
	// LogListenerBind is where the UDP log listener binds (LOG_LISTENER_BIND).
	LogListenerBind string
	// QueryHost is the address of this host the panel sends A2S queries to
	// (LEFT4ME_QUERY_HOST; not loopback, which the game server ignores).
	// Empty: the host's primary address, found when the panel starts.
	QueryHost string
	// OfflineSpan is how long a server must fail every poll before the
	// panel shows it offline (LEFT4ME_OFFLINE_AFTER, a duration, default
	// 45s): longer than a map load, which stalls the server.
	OfflineSpan         time.Duration
	SteamWebAPIKey      string // STEAM_WEB_API_KEY
	SessionCookieSecure bool   // SESSION_COOKIE_SECURE, default true
	Supervisor          string // LEFT4ME_SUPERVISOR: "systemd" (default) or "process"
	JournalNamespace    string // LEFT4ME_JOURNAL_NAMESPACE, for journalctl --namespace=
	// Jobs tunes background jobs: JOB_WORKER_THREADS, WORKSHOP_REFRESH_AT.
	Jobs jobs.Config
	// LogCap bounds each instance's log files: LEFT4ME_LOG_FILES,
	// LEFT4ME_LOG_MIB (events.go).
	LogCap instance.LogCap

	// Logger receives operational messages; not from the environment. Nil
	// discards them.
	Logger *slog.Logger
}

// loadConfig reads Config from getenv. Every error names the variable.
func loadConfig(getenv func(string) string) (Config, error) {
	var c Config
	var err error
	if c.Root, err = layout.FromEnv(getenv); err != nil {
		return Config{}, fmt.Errorf("%s: %w", layout.RootEnv, err)
	}
	if c.DatabasePath, err = parseDatabaseURL(getenv("DATABASE_URL"), c.Root); err != nil {
		return Config{}, err
	}
	if c.PortMin, err = envPort(getenv, "LEFT4ME_PORT_RANGE_START", instance.DefaultPortMin); err != nil {
		return Config{}, err
	}
	if c.PortMax, err = envPort(getenv, "LEFT4ME_PORT_RANGE_END", instance.DefaultPortMax); err != nil {
		return Config{}, err
	}
	if c.PortMin > c.PortMax {
		return Config{}, fmt.Errorf("LEFT4ME_PORT_RANGE_START %d is above LEFT4ME_PORT_RANGE_END %d", c.PortMin, c.PortMax)
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
	if v := strings.TrimSpace(getenv("LEFT4ME_OFFLINE_AFTER")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second || d > time.Hour {
			return Config{}, fmt.Errorf("LEFT4ME_OFFLINE_AFTER %q: want a duration from 1s to 1h, such as 45s (longer than a map load)", v)
		}
		c.OfflineSpan = d
	}
	c.SteamWebAPIKey = strings.TrimSpace(getenv("STEAM_WEB_API_KEY"))
	if c.SessionCookieSecure, err = envBool(getenv, "SESSION_COOKIE_SECURE", true); err != nil {
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
	if c.Jobs, err = jobs.ConfigFromEnv(getenv); err != nil {
		return Config{}, err
	}
	if err := addGCSchedule(&c.Jobs, getenv("LEFT4ME_GC_AT")); err != nil {
		return Config{}, err
	}
	if c.LogCap, err = parseLogCap(getenv); err != nil {
		return Config{}, err
	}
	return c, nil
}

// addGCSchedule adds the daily garbage collection of unused installation
// and layer generations (LEFT4ME_GC_AT, "HH:MM" local time, default 05:00,
// after the Workshop refresh; "off" disables it).
func addGCSchedule(c *jobs.Config, at string) error {
	at = strings.TrimSpace(at)
	switch strings.ToLower(at) {
	case "off", "none", "never", "disabled":
		return nil
	case "":
		at = "05:00"
	}
	s, err := jobs.ParseDailyAt(at, time.Local)
	if err != nil {
		return fmt.Errorf("LEFT4ME_GC_AT: %w (or off)", err)
	}
	c.Periodic = append(c.Periodic, jobs.Periodic{Kind: content.KindGC, Schedule: s})
	return nil
}

// parseDatabaseURL accepts a file path or an SQLAlchemy-style sqlite URL
// (sqlite:///abs/path, sqlite:////abs/path). Relative paths are relative to
// the state root.
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

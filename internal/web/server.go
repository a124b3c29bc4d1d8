// Package web is left4me's panel: server-rendered HTML pages and a JSON API
// over the instance service, with accounts, sessions, CSRF protection, API
// tokens and login throttling.
//
// Every route is declared once, in routes.go. Handlers live one per file and
// follow one shape: fetch, check, act, respond. Errors are logged once, where
// the response is written.
package web

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/left4me/left4me/internal/audit"
	"github.com/left4me/left4me/internal/auth"
	"github.com/left4me/left4me/internal/campaigns"
	"github.com/left4me/left4me/internal/content"
	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/jobs"
	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/notify"
	"github.com/left4me/left4me/internal/rcon"
	"github.com/left4me/left4me/internal/schedule"
	"github.com/left4me/left4me/internal/store"
	"github.com/left4me/left4me/internal/workshop"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Instances is what the panel needs from the instance service.
type Instances interface {
	Create(ctx context.Context, spec instance.Spec) (instance.Instance, error)
	Get(ctx context.Context, name string) (instance.Instance, error)
	List(ctx context.Context) ([]instance.Instance, error)
	Update(ctx context.Context, name string, u instance.Update) (instance.Instance, error)
	// RotateRCONPassword stores a new RCON password (applied at the next
	// start) and returns the instance before and after.
	RotateRCONPassword(ctx context.Context, name string) (old, rotated instance.Instance, err error)
	ServerCfg(ctx context.Context, name string) (string, error)
	SetServerCfg(ctx context.Context, name, text string) error
	// Do runs a power action (start, stop, restart, reset).
	Do(ctx context.Context, action instance.Action, name string) error
	// Restart is the action a rolling restart runs on each stale instance.
	Restart(ctx context.Context, name string) error
	Delete(ctx context.Context, name string) error
	Status(ctx context.Context, name string) (instance.Status, error)
	Layers(ctx context.Context) ([]instance.Layer, error)
}

// LogReader reads an instance's console log (the journal in production, the
// child process's output in the demo).
type LogReader interface {
	Tail(ctx context.Context, name string, n int) ([]string, error)
	Follow(ctx context.Context, name string, fn func(line string)) error
}

// LiveSource answers the latest polled live state of an instance.
type LiveSource interface {
	Live(name string) (LiveState, bool)
}

// StatusReader reports an instance's run state; the instance Supervisor is one.
type StatusReader interface {
	Status(ctx context.Context, name string) (instance.Status, error)
}

// Console sends one RCON command to a running instance and returns the reply.
type Console interface {
	Exec(ctx context.Context, inst instance.Instance, command string) (string, error)
}

// ConsoleFunc adapts a function to Console.
type ConsoleFunc func(ctx context.Context, inst instance.Instance, command string) (string, error)

// Exec calls f.
func (f ConsoleFunc) Exec(ctx context.Context, inst instance.Instance, command string) (string, error) {
	return f(ctx, inst, command)
}

// Config is what the panel is built from. Store and Instances are required;
// a nil Logs, Live or Console turns the matching feature off in the pages.
type Config struct {
	Store     *store.Store
	Instances Instances
	Logs      LogReader
	Live      LiveSource
	Console   Console
	// RCONPolicy says which cvars are secret (the defaults plus the
	// operator's list); the zero Policy knows the defaults.
	RCONPolicy rcon.Policy
	Logger     *slog.Logger
	// States, when set, answers the state of instances the panel has
	// already loaded (the supervisor), sparing Instances.Status its
	// database lookup per instance on list pages.
	States StatusReader

	// Content pipeline. A nil Jobs turns the jobs pages off; a nil Content
	// the layer and installation pages; a nil Workshop the Workshop forms.
	// Root is the state root they work in (installations, instance.env).
	Jobs     *jobs.Manager
	Content  *content.Service
	Workshop *workshop.Service
	Root     layout.Root
	// Schedules keeps the instances' schedules and queues the rolling
	// restart; nil turns the schedules card and routes off, and the
	// rolling restart then answers 404.
	Schedules *schedule.Service
	// Backups, when set, offers the instances' backups and restores
	// (owners and administrators).
	Backups Backups
	// Webhooks, when set, offers the webhook pages and API (admins); Audit,
	// when set, records every state-changing request (audit.go) and
	// offers the audit page and API.
	Webhooks *notify.Service
	Audit    *audit.Log
	// PublicHost is the name or address players connect to
	// (LEFT4ME_PUBLIC_HOST, else the host's primary address); the pages
	// and the API show "connect HOST:PORT" with it. Empty shows none.
	PublicHost string
	// SteamCmdNote, when set, is shown on the Installation page: the demo
	// says that Install / update runs the stand-in steamcmd.
	SteamCmdNote string
	// MaxUpload bounds an uploaded archive or file; 2 GiB when zero.
	MaxUpload int64
	// Metrics, when set, records each request's duration by route (metrics.go).
	Metrics RequestObserver

	CookieSecure bool          // mark the session cookie Secure (behind TLS)
	SessionTTL   time.Duration // idle lifetime of a session; 12h when zero
	// Throttle limits wrong current passwords on the password form; 5 per
	// 15 minutes when nil.
	Throttle *auth.Throttle
	// Login limits failed logins per name and address, per address and
	// globally; auth's default sizes when nil (docs/operations.md §3).
	Login *auth.LoginThrottle
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client address the login limits count by; none when empty.
	TrustedProxies []netip.Prefix
	// Hasher bounds concurrent password hashing (64 MiB each); two at a
	// time, each waiting up to 3 s, when nil.
	Hasher   *auth.Hasher
	LogLines int // console lines shown and kept in the page; 300 when zero
	// Maps reads the map picker's VPKs and remembers them; a new one when nil.
	Maps *campaigns.Scanner
	Now  func() time.Time
}

// Server is the panel. It is an http.Handler.
type Server struct {
	cfg    Config
	log    *slog.Logger
	pages  map[string]*template.Template
	static http.Handler
	routes []route
	mux    *http.ServeMux

	// lists caches the instance lists' per-instance part (list_cache.go);
	// noListCache turns it off (the benchmark's "before").
	lists       listCache
	noListCache bool
	// listJSON keeps each instance's encoded view for the JSON list
	// (list_json.go), also off with noListCache; oldListJSON encodes
	// the list as before it (the benchmark's "before").
	listJSON    viewBytes
	oldListJSON bool

	dummyOnce sync.Once
	dummy     string // a password hash checked for unknown names, so timing does not tell
}

// New checks cfg, parses the embedded templates and builds the routes.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Instances == nil {
		return nil, errors.New("web: Store and Instances are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.SessionTTL == 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.Throttle == nil {
		cfg.Throttle = auth.NewThrottle(5, 15*time.Minute)
	}
	if cfg.Login == nil {
		cfg.Login = auth.NewLoginThrottle(auth.LoginLimits{})
	}
	if cfg.Hasher == nil {
		cfg.Hasher = auth.NewHasher(0, 0)
	}
	if cfg.LogLines == 0 {
		cfg.LogLines = 300
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.States == nil {
		cfg.States = cfg.Instances
	}
	if cfg.Maps == nil {
		cfg.Maps = campaigns.NewScanner()
	}
	if cfg.MaxUpload == 0 {
		cfg.MaxUpload = 2 << 30
	}
	if cfg.Logs != nil {
		cfg.Logs = quietLogs{cfg.Logs} // no poll noise in any console view (logfilter.go)
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, fmt.Errorf("web: static files: %w", err)
	}
	s := &Server{cfg: cfg, log: cfg.Logger, pages: pages, static: http.FileServerFS(sub)}
	if rc, ok := cfg.Instances.(runChangeSource); ok {
		rc.OnRunChange(func(string) { s.lists.drop() })
	}
	s.routes = s.routeTable()
	s.mux = http.NewServeMux()
	for _, rt := range s.routes {
		s.mux.Handle(rt.pattern, s.wrap(rt))
	}
	return s, nil
}

// ServeHTTP logs every request and dispatches it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := s.cfg.Now()
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	rec.Header().Set("X-Content-Type-Options", "nosniff")
	rec.Header().Set("X-Frame-Options", "DENY")
	rec.Header().Set("Referrer-Policy", "same-origin")
	rec.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'")
	s.mux.ServeHTTP(rec, r)
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		s.lists.drop() // whatever it changed shows in the next list
	}
	s.observe(r, rec.status, s.cfg.Now().Sub(start))
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
		slog.String("method", r.Method), slog.String("path", r.URL.Path),
		slog.Int("status", rec.status), slog.Duration("duration", s.cfg.Now().Sub(start)))
}

// statusRecorder remembers the status code for the request log. Unwrap lets
// http.ResponseController reach Flush for the server-sent event streams.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

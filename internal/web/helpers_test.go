package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/audit"
	"github.com/left4me/left4me/internal/auth"
	"github.com/left4me/left4me/internal/backup"
	"github.com/left4me/left4me/internal/hostaddr"
	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/notify"
	"github.com/left4me/left4me/internal/schedule"
	"github.com/left4me/left4me/internal/store"
)

// stateSupervisor is the smallest Supervisor the instance service accepts:
// it records states without running anything. The handler tests are about
// HTTP; the process supervisor is exercised by the browser test.
type stateSupervisor struct {
	mu    sync.Mutex
	state map[string]instance.Status
	calls int
}

func (s *stateSupervisor) set(name string, st instance.State) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	s.state[name] = instance.Status{State: st, Since: time.Now()}
	return nil
}
func (s *stateSupervisor) Start(ctx context.Context, name string) error {
	return s.set(name, instance.Running)
}
func (s *stateSupervisor) Stop(ctx context.Context, name string) error {
	return s.set(name, instance.Stopped)
}
func (s *stateSupervisor) Restart(ctx context.Context, name string) error {
	return s.set(name, instance.Running)
}
func (s *stateSupervisor) callCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

func (s *stateSupervisor) Status(ctx context.Context, name string) (instance.Status, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.state[name]; ok {
		return st, nil
	}
	return instance.Status{State: instance.Stopped}, nil
}

// fixedLogs serves a few lines for every instance.
type fixedLogs struct{}

func (fixedLogs) Tail(ctx context.Context, name string, n int) ([]string, error) {
	return []string{"log line of " + name}, nil
}
func (fixedLogs) Follow(ctx context.Context, name string, fn func(string)) error {
	fn("followed line of " + name)
	<-ctx.Done()
	return ctx.Err()
}

// env is a panel over a real SQLite database and a real instance service in
// a temporary state root.
type env struct {
	t    testing.TB
	root layout.Root
	st   *store.Store
	svc  *instance.Service
	sup  *stateSupervisor
	srv  *Server
	ts   *httptest.Server

	mu  sync.Mutex
	now time.Time
}

func (e *env) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *env) advance(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.now = e.now.Add(d)
}

func newEnv(t testing.TB) *env { return newEnvWith(t, nil) }

// newEnvWith is newEnv with a hook that completes the panel's Config
// (the content tests add jobs, content and Workshop services).
func newEnvWith(t testing.TB, hook func(e *env, cfg *Config)) *env {
	t.Helper()
	ctx := context.Background()
	root, err := layout.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := root.Create(0o755); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{root.Installation("1"), root.Overlay("example", "1"), root.Overlay("maps", "2")} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	st, err := store.Open(ctx, root.Database())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{t: t, root: root, st: st, sup: &stateSupervisor{state: map[string]instance.Status{}}, now: time.Now()}
	e.svc = instance.NewService(instance.Config{Root: root, PortMin: 20000, PortMax: 20999}, st, e.sup)
	cfg := Config{
		Store: st, Instances: e.svc, Logs: fixedLogs{}, States: e.sup,
		Console: ConsoleFunc(func(ctx context.Context, inst instance.Instance, cmd string) (string, error) {
			return "reply to " + cmd, nil
		}),
		Live:   liveFunc(func(name string) (LiveState, bool) { return LiveState{}, false }),
		Logger: slog.New(slog.DiscardHandler),
		Now:    e.clock,
		// Every panel of the tests keeps an audit log; its webhooks may
		// reach the tests' receivers on loopback.
		Audit:    audit.New(st, audit.Config{}),
		Webhooks: notify.New(notify.Config{AllowLoopback: true}, st, nil),
	}
	cfg.Schedules = schedule.New(schedule.Config{Store: st})
	cfg.Backups = backup.New(backup.Config{Root: root, Instances: e.svc, Schedules: cfg.Schedules, Store: st})
	if hook != nil {
		hook(e, &cfg)
	}
	e.srv, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.ts = httptest.NewServer(e.srv)
	t.Cleanup(e.ts.Close)
	return e
}

type liveFunc func(name string) (LiveState, bool)

func (f liveFunc) Live(name string) (LiveState, bool) { return f(name) }

// user creates an account whose password is "pw-" + name + "-secret".
// Hashing is real argon2id, so tests create few of these.
func (e *env) user(name string, admin bool) store.User {
	e.t.Helper()
	hash, err := auth.HashPassword("pw-" + name + "-secret")
	if err != nil {
		e.t.Fatal(err)
	}
	u, err := e.st.CreateUser(context.Background(), name, hash, admin)
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// quickUser creates an account that cannot log in with a password; tests
// give it a session directly.
func (e *env) quickUser(name string, admin bool) store.User {
	e.t.Helper()
	u, err := e.st.CreateUser(context.Background(), name, "$argon2id$v=19$m=1,t=1,p=1$AAAA$AAAA", admin)
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// client is a browser: a cookie jar, no redirect following, a CSRF token.
type client struct {
	e     *env
	hc    *http.Client
	csrf  string
	token string // API token sent as Bearer when set
}

func (e *env) newClient() *client {
	jar, _ := cookiejar.New(nil)
	return &client{e: e, hc: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// as returns a client logged in as u through a session made in the store.
func (e *env) as(u store.User) *client {
	e.t.Helper()
	c := e.newClient()
	id, _ := auth.NewSecret()
	csrf, _ := auth.NewSecret()
	if err := e.st.CreateSession(context.Background(), store.Session{IDHash: auth.HashSecret(id), UserID: u.ID, CSRFToken: csrf,
		CreatedAt: e.clock(), ExpiresAt: e.clock().Add(12 * time.Hour)}); err != nil {
		e.t.Fatal(err)
	}
	base, _ := url.Parse(e.ts.URL)
	c.hc.Jar.SetCookies(base, []*http.Cookie{{Name: sessionCookie, Value: id, Path: "/"}})
	c.csrf = csrf
	return c
}

// do sends a request. Form bodies get the client's CSRF token unless the
// caller set csrf_token; JSON bodies get it as a header.
func (c *client) do(method, path, body string, form url.Values) (*http.Response, string) {
	c.e.t.Helper()
	var rd io.Reader
	ctype := ""
	switch {
	case form != nil:
		if _, set := form["csrf_token"]; !set && c.csrf != "" {
			form.Set("csrf_token", c.csrf)
		}
		rd, ctype = strings.NewReader(form.Encode()), "application/x-www-form-urlencoded"
	case body != "":
		rd, ctype = strings.NewReader(body), "application/json"
	}
	req, err := http.NewRequest(method, c.e.ts.URL+path, rd)
	if err != nil {
		c.e.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	} else if form == nil && c.csrf != "" && stateChanging(method) {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

func (c *client) get(path string) (*http.Response, string) { return c.do("GET", path, "", nil) }

func (c *client) post(path string, form url.Values) (*http.Response, string) {
	if form == nil {
		form = url.Values{}
	}
	return c.do("POST", path, "", form)
}

// mustCreate makes an instance owned by u through the service.
func (e *env) mustCreate(name string, u store.User) instance.Instance {
	e.t.Helper()
	in, err := e.svc.Create(context.Background(), instance.Spec{Name: name, OwnerID: u.ID, ServerCfg: "hostname " + name + "\n"})
	if err != nil {
		e.t.Fatal(err)
	}
	return in
}

var metaCSRF = regexp.MustCompile(`<meta name="csrf-token" content="([^"]*)">`)
var loginToken = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// login logs in through the form, as a browser would.
func (c *client) login(name, password string) *http.Response {
	c.e.t.Helper()
	_, page := c.get("/login")
	m := loginToken.FindStringSubmatch(page)
	if m == nil {
		c.e.t.Fatalf("login page has no CSRF token:\n%s", page)
	}
	resp, _ := c.post("/login", url.Values{"username": {name}, "password": {password}, "csrf_token": {m[1]}})
	if resp.StatusCode == http.StatusSeeOther {
		_, page := c.get("/instances")
		if m := metaCSRF.FindStringSubmatch(page); m != nil {
			c.csrf = m[1]
		}
	}
	return resp
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// testQueryHost is the address live-state tests send A2S to: the host's
// primary address (the stand-in, like srcds, ignores A2S from loopback),
// or loopback on a host without one (players then show without scores).
func testQueryHost() netip.Addr {
	if a, err := hostaddr.Primary(); err == nil {
		return a
	}
	return netip.MustParseAddr("127.0.0.1")
}

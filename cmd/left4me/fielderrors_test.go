package main

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/auth"
	"github.com/left4me/left4me/internal/store"
)

// panelClient is a logged-in browser of a running panel (cookie session
// and its CSRF token); it sends forms as the panel's pages do and JSON as
// an API client with the same session does.
type panelClient struct {
	t      *testing.T
	base   string
	cookie string
	csrf   string
}

func (c *panelClient) send(method, path, ctype, body string) (int, string) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("X-CSRF-Token", c.csrf)
	req.AddCookie(&http.Cookie{Name: "left4me_session", Value: c.cookie})
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// startPanel serves the panel as `left4me serve` does, on the fixture's
// state root and database, and returns a client logged in as user.
func startPanel(t *testing.T, f *cliFixture, user string) *panelClient {
	t.Helper()
	cfg, err := loadConfig(envFunc(f.env))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Logger = slog.New(slog.DiscardHandler)
	c := &panelClient{t: t}
	c.cookie, _ = auth.NewSecret()
	c.csrf, _ = auth.NewSecret()
	setup := func(ctx context.Context, a *app) error {
		u, err := a.store.UserByName(ctx, user)
		if err != nil {
			return err
		}
		return a.store.CreateSession(ctx, store.Session{IDHash: auth.HashSecret(c.cookie), UserID: u.ID, CSRFToken: c.csrf, ExpiresAt: time.Now().Add(time.Hour)})
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- servePanel(ctx, cfg, panelOptions{Listen: "127.0.0.1:0", Ready: func(u string) { ready <- u }}, setup)
	}()
	select {
	case c.base = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("panel ended before listening: %v", err)
	}
	c.base = strings.TrimSuffix(c.base, "/")
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("panel shutdown: %v", err)
		}
	})
	return c
}

// cliFieldError is "left4me CMD SUB: FIELD: message" on the CLI's stderr.
var cliFieldError = regexp.MustCompile(`^left4me [a-z]+ [a-z-]+: ([a-z_]+): (.*)\n$`)

// formFieldError finds the message a page shows next to the field whose
// input has the HTML id.
func formFieldError(page, id string) (string, bool) {
	m := regexp.MustCompile(`<p class="field-error"[^>]* id="` + regexp.QuoteMeta(id) + `-error">([^<]*)</p>`).FindStringSubmatch(page)
	if m == nil {
		return "", false
	}
	return html.UnescapeString(m[1]), true
}

// TestSameFieldErrorEverywhere drives the same bad inputs through the CLI,
// the panel's HTML forms and the JSON API, all on one state root and
// database: each names the same field with the same message, answers with
// the same status class, and creates nothing. Account names have no API
// route, nor have layers; those are checked through the CLI and the form.
func TestSameFieldErrorEverywhere(t *testing.T) {
	f := newCLIFixture(t)
	f.env["LEFT4ME_PORT_RANGE_START"] = "23215"
	f.env["LEFT4ME_PORT_RANGE_END"] = "23299"
	f.must(t, "password-one\n", "user", "create", "root", "--admin")
	for _, dir := range []string{f.root.Overlay("maps", "1"), f.root.Installation("1")} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	f.must(t, "", "instance", "create", "alpha", "--owner", "root")
	var alpha struct{ Port int }
	if err := json.Unmarshal([]byte(f.must(t, "", "instance", "show", "alpha", "--json")), &alpha); err != nil {
		t.Fatal(err)
	}
	taken := strconv.Itoa(alpha.Port)
	c := startPanel(t, f, "root")

	type request struct {
		method, path, body string
	}
	tests := []struct {
		name   string
		cli    []string
		stdin  string
		form   request // url-encoded body
		api    request // JSON body; path "" when there is no API route
		field  string
		htmlID string // of the field's input on the form's page, when not the field
		status int
		want   string // part of the message, so agreeing on a wrong one fails
	}{
		{"instance name",
			[]string{"instance", "create", "Bad.Name", "--owner", "root"}, "",
			request{"POST", "/instances", "name=Bad.Name"},
			request{"POST", "/api/v1/instances", `{"name": "Bad.Name"}`},
			"name", "", http.StatusUnprocessableEntity, `invalid instance name "Bad.Name"`},
		{"name of another instance",
			[]string{"instance", "create", "alpha", "--owner", "root"}, "",
			request{"POST", "/instances", "name=alpha"},
			request{"POST", "/api/v1/instances", `{"name": "alpha"}`},
			"name", "", http.StatusConflict, `an instance named "alpha" already exists`},
		{"port outside the range",
			[]string{"instance", "create", "fresh", "--owner", "root", "--port", "80"}, "",
			request{"POST", "/instances", "name=fresh&port=80"},
			request{"POST", "/api/v1/instances", `{"name": "fresh", "port": 80}`},
			"port", "", http.StatusUnprocessableEntity, "the instance's block 80-81 does not fit the port range 23215-23299"},
		{"port that is no port",
			[]string{"instance", "create", "fresh", "--owner", "root", "--port", "70000"}, "",
			request{"POST", "/instances", "name=fresh&port=70000"},
			request{"POST", "/api/v1/instances", `{"name": "fresh", "port": 70000}`},
			"port", "", http.StatusUnprocessableEntity, "70000 is not a port number"},
		{"port that is not a number",
			[]string{"instance", "create", "fresh", "--owner", "root", "--port", "27O15"}, "",
			request{"POST", "/instances", "name=fresh&port=27O15"},
			request{}, // a JSON number cannot be misspelt
			"port", "", http.StatusUnprocessableEntity, `"27O15" is not a number`},
		{"port of another instance",
			[]string{"instance", "create", "fresh", "--owner", "root", "--port", taken}, "",
			request{"POST", "/instances", "name=fresh&port=" + taken},
			request{"POST", "/api/v1/instances", `{"name": "fresh", "port": ` + taken + `}`},
			"port", "", http.StatusConflict, `overlaps instance "alpha"'s block`},
		{"port of an update",
			[]string{"instance", "update", "alpha", "--port", "80"}, "",
			request{"POST", "/instances/alpha/edit", "port=80"},
			request{"PATCH", "/api/v1/instances/alpha", `{"port": 80}`},
			"port", "", http.StatusUnprocessableEntity, "does not fit the port range"},
		{"argument set by left4me",
			[]string{"instance", "create", "fresh", "--owner", "root", "--", "+map", "c1m1_hotel", "+hostport", "1"}, "",
			request{"POST", "/instances", "name=fresh&args=" + url.QueryEscape("+map c1m1_hotel +hostport 1")},
			request{"POST", "/api/v1/instances", `{"name": "fresh", "args": ["+map", "c1m1_hotel", "+hostport", "1"]}`},
			"args", "", http.StatusUnprocessableEntity, `argument 3 "+hostport" is set by left4me`},
		{"arguments too long",
			append([]string{"instance", "create", "fresh", "--owner", "root", "--"}, strings.Fields(strings.Repeat("+x ", 400))...), "",
			request{"POST", "/instances", "name=fresh&args=" + url.QueryEscape(strings.Repeat("+x ", 400))},
			request{"POST", "/api/v1/instances", `{"name": "fresh", "args": ["` + strings.Join(strings.Fields(strings.Repeat("+x ", 400)), `", "`) + `"]}`},
			"args", "", http.StatusUnprocessableEntity, "more than 1024"},
		{"server.cfg with a NUL byte",
			[]string{"instance", "create", "fresh", "--owner", "root", "--cfg", "-"}, "hostname a\x00",
			request{"POST", "/instances", "name=fresh&server_cfg=" + url.QueryEscape("hostname a\x00")},
			request{"POST", "/api/v1/instances", `{"name": "fresh", "server_cfg": "hostname a\u0000"}`},
			"server_cfg", "", http.StatusUnprocessableEntity, "NUL byte at offset 10"},
		{"server.cfg of an instance",
			[]string{"instance", "cfg", "alpha", "--set", "-"}, "hostname a\x00",
			request{"POST", "/instances/alpha/cfg", "server_cfg=" + url.QueryEscape("hostname a\x00")},
			request{"PUT", "/api/v1/instances/alpha/cfg", `{"server_cfg": "hostname a\u0000"}`},
			"server_cfg", "", http.StatusUnprocessableEntity, "NUL byte at offset 10"},
		{"missing layer",
			[]string{"instance", "create", "fresh", "--owner", "root", "--layer", "maps", "--layer", "nope"}, "",
			request{"POST", "/instances", "name=fresh&layers=maps&layers=nope"},
			request{"POST", "/api/v1/instances", `{"name": "fresh", "layers": ["maps", "nope"]}`},
			"layers", "", http.StatusUnprocessableEntity, `layer "nope" has no generation`},
		{"layer twice",
			[]string{"instance", "update", "alpha", "--layer", "maps", "--layer", "maps"}, "",
			request{"POST", "/instances/alpha/edit", "layers=maps&layers=maps"},
			request{"PATCH", "/api/v1/instances/alpha", `{"layers": ["maps", "maps"]}`},
			"layers", "", http.StatusUnprocessableEntity, `"maps" is listed twice`},
		{"content layer id",
			[]string{"overlay", "create-script", "Bad!", "--script", "-"}, "echo hi\n",
			request{"POST", "/layers/script", "id=Bad%21&script=echo+hi"},
			request{},
			"id", "s-id", http.StatusUnprocessableEntity, `invalid layer id "Bad!"`},
		{"empty script",
			[]string{"overlay", "create-script", "fine", "--script", "-"}, "  \n",
			request{"POST", "/layers/script", "id=fine&script=+"},
			request{},
			"script", "s-script", http.StatusUnprocessableEntity, "empty"},
		{"user name",
			[]string{"user", "create", "a b"}, "long enough password\n",
			request{"POST", "/admin/users", "name=a+b&password=long+enough+password"},
			request{},
			"name", "", http.StatusUnprocessableEntity, `invalid user name "a b"`},
		{"name of another user",
			[]string{"user", "create", "root"}, "long enough password\n",
			request{"POST", "/admin/users", "name=root&password=long+enough+password"},
			request{},
			"name", "", http.StatusConflict, `user "root" already exists`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := f.run(t, tt.stdin, tt.cli...)
			m := cliFieldError.FindStringSubmatch(stderr)
			if code != 1 || m == nil {
				t.Fatalf("CLI: exit %d, stderr %q; want exit 1 and a field error", code, stderr)
			}
			field, msg := m[1], m[2]
			if field != tt.field || !strings.Contains(msg, tt.want) {
				t.Fatalf("CLI: field %q message %q; want field %q with %q", field, msg, tt.field, tt.want)
			}

			status, page := c.send(tt.form.method, tt.form.path, "application/x-www-form-urlencoded", tt.form.body+"&csrf_token="+c.csrf)
			id := field
			if tt.htmlID != "" {
				id = tt.htmlID
			}
			shown, ok := formFieldError(page, id)
			if status != tt.status || !ok || shown != msg {
				t.Errorf("form: %d, next to %q: %q (found %v); want %d and %q", status, field, shown, ok, tt.status, msg)
			}

			if tt.api.path == "" {
				return
			}
			status, body := c.send(tt.api.method, tt.api.path, "application/json", tt.api.body)
			var ae struct{ Error, Field string }
			if err := json.Unmarshal([]byte(body), &ae); err != nil {
				t.Fatalf("API: %d %s: %v", status, body, err)
			}
			if status != tt.status || ae.Field != field || ae.Error != msg {
				t.Errorf("API: %d %+v; want %d, field %q, error %q", status, ae, tt.status, field, msg)
			}
		})
	}
	if out := f.must(t, "", "overlay", "list"); strings.Contains(out, "fine") {
		t.Errorf("a refused layer is listed:\n%s", out)
	}
	// Nothing was half-created, and alpha kept its port and layers.
	for _, p := range []string{f.root.Instance("fresh"), f.root.Runtime("fresh"), f.root.Instance("Bad.Name")} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s exists after refused creates", p)
		}
	}
	if out := f.must(t, "", "instance", "list"); strings.Contains(out, "fresh") {
		t.Errorf("a refused instance is listed:\n%s", out)
	}
	if out := f.must(t, "", "instance", "show", "alpha", "--json"); !strings.Contains(out, `"port": `+taken) || !strings.Contains(out, `"layers": []`) {
		t.Errorf("alpha changed by refused updates:\n%s", out)
	}
	if out := f.must(t, "", "instance", "cfg", "alpha"); strings.Contains(out, "hostname a") {
		t.Errorf("alpha's server.cfg changed by refused saves:\n%q", out)
	}
	if out := f.must(t, "", "user", "list"); strings.Contains(out, "a b") {
		t.Errorf("a refused account is listed:\n%s", out)
	}
}

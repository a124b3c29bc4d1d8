package web

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/left4me/left4me/internal/content"
	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/views"
)

// TestAPIInstanceConnect: the instance views of the API and the pages carry
// the address players connect to, with Config.PublicHost and the game port;
// without a public host they leave it out and the page says how to set one.
func TestAPIInstanceConnect(t *testing.T) {
	e := newEnvWith(t, func(e *env, cfg *Config) { cfg.PublicHost = "l4d.example.com" })
	admin := e.user("admin", true)
	in := e.mustCreate("vs1", admin)
	c := e.as(admin)
	addr := "l4d.example.com:" + strconv.Itoa(in.Port)
	_, body := c.get("/api/v1/instances/vs1")
	var v views.Instance
	if err := json.Unmarshal([]byte(body), &v); err != nil || v.Connect != addr || v.SteamConnect != "steam://connect/"+addr {
		t.Errorf("GET /api/v1/instances/vs1: %s (%v); want connect %s", body, err, addr)
	}
	_, body = c.get("/api/v1/instances")
	if !strings.Contains(body, `"connect": "`+addr+`"`) {
		t.Errorf("GET /api/v1/instances: %s; want connect %s", body, addr)
	}
	for _, page := range []string{"/instances", "/instances/vs1"} {
		_, body = c.get(page)
		if !strings.Contains(body, "connect "+addr+"</code>") || !strings.Contains(body, `href="steam://connect/`+addr+`"`) || !strings.Contains(body, `data-copy="connect `+addr+`"`) {
			t.Errorf("%s lacks the connect line, its copy button or its steam link", page)
		}
	}

	none := newEnv(t)
	admin = none.user("admin", true)
	none.mustCreate("vs1", admin)
	c = none.as(admin)
	if _, body := c.get("/api/v1/instances/vs1"); strings.Contains(body, "connect") {
		t.Errorf("without a public host the view has %s", body)
	}
	if _, body := c.get("/instances/vs1"); !strings.Contains(body, "set LEFT4ME_PUBLIC_HOST") {
		t.Error("without a public host the page does not say how to set one")
	}
}

// TestLocalHandler: the panel's local socket serves the JSON API and the
// console stream acting as the system (an administrator, no CSRF token),
// and nothing else; the same requests on the panel's own handler still
// need a login.
func TestLocalHandler(t *testing.T) {
	e := newEnv(t)
	e.mustCreate("vs1", e.user("alice", false))
	local := httptest.NewServer(e.srv.LocalHandler("process"))
	t.Cleanup(local.Close)
	send := func(base, method, path string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, nil)
		req.Header.Set("Accept", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
		return resp.StatusCode, string(b)
	}
	if code, body := send(local.URL, "GET", "/api/v1/instances"); code != 200 || !strings.Contains(body, `"name": "vs1"`) || !strings.Contains(body, "rcon_password") {
		t.Errorf("local GET /api/v1/instances: %d %s; want alice's instance with an administrator's view", code, body)
	}
	if code, body := send(local.URL, "POST", "/api/v1/instances/vs1/start"); code != 200 || !strings.Contains(body, `"state": "running"`) {
		t.Errorf("local POST start: %d %s", code, body)
	}
	if code, body := send(local.URL, "GET", LocalPanelPath); code != 200 || !strings.Contains(body, `"supervisor": "process"`) {
		t.Errorf("local GET %s: %d %s", LocalPanelPath, code, body)
	}
	if code, _ := send(e.ts.URL, "GET", LocalPanelPath); code == 200 {
		t.Errorf("GET %s on the panel's port answers", LocalPanelPath)
	}
	for _, path := range []string{"/instances", "/instances/vs1", "/admin/users", "/login"} {
		if code, _ := send(local.URL, "GET", path); code != http.StatusNotFound {
			t.Errorf("local GET %s: %d; want 404 (the socket serves the API only)", path, code)
		}
	}
	if code, _ := send(e.ts.URL, "GET", "/api/v1/instances"); code != http.StatusUnauthorized {
		t.Errorf("GET /api/v1/instances without a login on the panel's port: %d; want 401", code)
	}
	if !localPath("/instances/vs1/logs/stream") || localPath("/instances/vs1/x/logs/stream") || localPath("/instances/vs1/rcon") {
		t.Error("localPath lets the wrong console paths through")
	}
}

// TestInstallationPageSteamCmdNote: the Installation page says which
// steamcmd Install / update runs when it is not Valve's (the demo's
// stand-in), and says nothing of the kind otherwise.
func TestInstallationPageSteamCmdNote(t *testing.T) {
	for _, note := range []string{"", "This demo's Install / update runs the stand-in steamcmd (fakesteamcmd)."} {
		e := newEnvWith(t, func(e *env, cfg *Config) {
			cfg.Content = content.NewService(content.Config{Root: e.root, Sandbox: content.DevSandbox{}}, e.st)
			cfg.Root = e.root
			cfg.SteamCmdNote = note
		})
		resp, body := e.as(e.user("admin", true)).get("/installation")
		if resp.StatusCode != 200 {
			t.Fatalf("GET /installation: %d\n%s", resp.StatusCode, body)
		}
		has := strings.Contains(body, `id="steamcmd-note"`)
		if has != (note != "") || (note != "" && !strings.Contains(body, "stand-in steamcmd (fakesteamcmd)")) {
			t.Errorf("note %q: the page shows a steamcmd note: %v", note, has)
		}
	}
}

// failingStart is the instance service with a start that fails for a
// reason that is no one's input (the server's fault: 500).
type failingStart struct{ Instances }

func (f failingStart) Do(ctx context.Context, action instance.Action, name string) error {
	return errors.New("start left4me-server@" + name + ".service: job failed (see journalctl -u left4me-server@" + name + ")")
}

// TestLocalServerErrorsSayWhy: an operation that fails on the panel's
// side tells the CLI on the local socket why, as running it in the CLI
// would; a browser or token still reads only that it was logged.
func TestLocalServerErrorsSayWhy(t *testing.T) {
	e := newEnvWith(t, func(e *env, cfg *Config) { cfg.Instances = failingStart{cfg.Instances} })
	admin := e.user("admin", true)
	e.mustCreate("vs1", admin)
	local := httptest.NewServer(e.srv.LocalHandler("process"))
	t.Cleanup(local.Close)
	resp, err := http.Post(local.URL+"/api/v1/instances/vs1/start", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 500 || !strings.Contains(string(b), "job failed (see journalctl -u left4me-server@vs1)") {
		t.Errorf("local start: %d %s; want 500 with the reason", resp.StatusCode, b)
	}
	r, body := e.as(admin).do("POST", "/api/v1/instances/vs1/start", "", nil)
	if r.StatusCode != 500 || strings.Contains(body, "journalctl") {
		t.Errorf("start on the panel's port: %d %s; want 500 without details", r.StatusCode, body)
	}
}

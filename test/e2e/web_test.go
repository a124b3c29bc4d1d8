package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

const (
	panelBase     = "http://127.0.0.1:8000"
	adminPassword = "e2e-admin-password-1"
)

// panel is a logged-in client of the panel running in the guest (the real
// left4me-web.service, in its sandbox).
type panel struct {
	h       *harness
	client  *http.Client
	cookies map[string]string
	csrf    string
}

// newPanelClient returns an HTTP client whose connections are made inside
// the guest's network namespace.
func (h *harness) newPanelClient() *http.Client {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			var conn net.Conn
			err := h.c.inNetNS(func() error {
				var d net.Dialer
				var err error
				conn, err = d.DialContext(ctx, network, addr)
				return err
			})
			return conn, err
		},
		DisableKeepAlives: true,
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func (p *panel) do(t *testing.T, method, path string, body io.Reader, header http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(p.h.ctx, method, panelBase+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	// Cookies are sent by hand: the panel marks them Secure
	// (SESSION_COOKIE_SECURE=true) and this test talks plain HTTP on loopback.
	for k, v := range p.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	resp, err := p.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.MaxAge < 0 {
			delete(p.cookies, c.Name)
		} else {
			p.cookies[c.Name] = c.Value
		}
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, string(b)
}

var (
	formCSRF = regexp.MustCompile(`name="csrf_token"\s+value="([^"]+)"`)
	metaCSRF = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)"`)
)

// login logs in as the admin the harness created.
func (h *harness) login(t *testing.T) *panel {
	t.Helper()
	p := &panel{h: h, client: h.newPanelClient(), cookies: map[string]string{}}
	code, body := p.do(t, "GET", "/login", nil, nil)
	m := formCSRF.FindStringSubmatch(body)
	if code != http.StatusOK || m == nil {
		t.Fatalf("GET /login: %d, no login form token", code)
	}
	form := url.Values{"username": {adminUser}, "password": {adminPassword}, "csrf_token": {m[1]}, "next": {"/"}}
	code, body = p.do(t, "POST", "/login", strings.NewReader(form.Encode()),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
	if code != http.StatusSeeOther {
		t.Fatalf("POST /login: %d\n%s", code, lastLines(body, 10))
	}
	code, body = p.do(t, "GET", "/account", nil, nil)
	m = metaCSRF.FindStringSubmatch(body)
	if code != http.StatusOK || m == nil {
		t.Fatalf("GET /account after login: %d, no CSRF token", code)
	}
	p.csrf = m[1]
	return p
}

// api calls a state-changing JSON API route with the session's CSRF token.
func (p *panel) api(t *testing.T, method, path string) string {
	t.Helper()
	code, body := p.do(t, method, path, nil, http.Header{"X-CSRF-Token": {p.csrf}})
	if code < 200 || code > 299 {
		t.Fatalf("%s %s: %d %s", method, path, code, strings.TrimSpace(body))
	}
	return body
}

// webChecks: the production path, through the sandboxed web unit: its D-Bus
// calls (authorised by polkit), its file operations and its journal reads.
// waitPanel waits until left4me-web.service is active and answers /health.
func (h *harness) waitPanel(t *testing.T) {
	t.Helper()
	if err := within(h.ctx, 20*time.Second, "left4me-web.service active and answering /health", func() (bool, error) {
		out, err := h.c.exec(h.ctx, nil, "systemctl", "show", "-p", "ActiveState", "--value", "left4me-web.service")
		if err != nil || strings.TrimSpace(out) != "active" {
			return false, fmt.Errorf("left4me-web.service %s", strings.TrimSpace(out))
		}
		resp, err := h.newPanelClient().Get(panelBase + "/health")
		if err != nil {
			return false, err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return false, fmt.Errorf("/health: %s", resp.Status)
		}
		return true, nil
	}); err != nil {
		out, _ := h.c.exec(h.ctx, nil, "journalctl", "--no-pager", "-n", "30", "-u", "left4me-web.service")
		t.Fatalf("%v\n%s", err, out)
	}
}

func (h *harness) webChecks(t *testing.T) {
	h.check(t, "web/health-through-sandboxed-unit", h.waitPanel)
	h.check(t, "web/api-start-reset-logs-stop", func(t *testing.T) {
		p := h.login(t)
		base := "/api/v1/instances/" + alpha
		p.api(t, "POST", base+"/start")
		h.mustState(t, alpha, "active")
		h.mustMounted(t, alpha, true)
		pid := h.prop(t, unitName(alpha), "MainPID")
		p.api(t, "POST", base+"/reset")
		h.mustState(t, alpha, "active")
		h.mustMounted(t, alpha, true)
		if got := h.prop(t, unitName(alpha), "MainPID"); got == pid {
			t.Errorf("reset through the panel did not restart the server (MainPID %s)", got)
		}
		h.a2s(t, alphaP)
		// The panel reads the game's log from the left4me journal namespace.
		var lines struct {
			Lines []string `json:"lines"`
		}
		if err := within(h.ctx, 10*time.Second, "server log through the panel", func() (bool, error) {
			code, body := p.do(t, "GET", base+"/logs?n=200", nil, nil)
			if code != http.StatusOK {
				return false, fmt.Errorf("GET logs: %d %s", code, strings.TrimSpace(body))
			}
			if err := json.Unmarshal([]byte(body), &lines); err != nil {
				return false, err
			}
			return strings.Contains(strings.Join(lines.Lines, "\n"), "Executing dedicated server config file"), nil
		}); err != nil {
			t.Fatalf("%v; got %d lines", err, len(lines.Lines))
		}
		h.streamDelivers(t, p, alpha)
		p.api(t, "POST", base+"/stop")
		h.mustState(t, alpha, "inactive")
		h.mustMounted(t, alpha, false)
	})
}

// streamDelivers: the instance page's live log (server-sent events, read
// by the sandboxed panel from the journal) delivers a line the server
// prints after the stream opened. On Debian 12 journalctl --follow prints
// nothing under the panel's ProtectProc=invisible (docs/platforms.md).
func (h *harness) streamDelivers(t *testing.T, p *panel, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(h.ctx, 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", panelBase+"/instances/"+name+"/logs/stream", nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range p.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	client := h.newPanelClient()
	client.Timeout = 0
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("open the log stream: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("open the log stream: %d", resp.StatusCode)
	}
	marker := fmt.Sprintf("e2e-stream-%d", time.Now().UnixNano())
	found := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		reset := false
		for sc.Scan() {
			l := sc.Text()
			if l == "event: reset" {
				reset = true
				// The stream is subscribed: make the server print the marker.
				go func() {
					code, body := p.do(t, "POST", "/api/v1/instances/"+name+"/rcon", strings.NewReader(`{"command": "say `+marker+`"}`),
						http.Header{"X-CSRF-Token": {p.csrf}, "Content-Type": {"application/json"}})
					if code != http.StatusOK {
						t.Errorf("rcon say: %d %s", code, strings.TrimSpace(body))
					}
				}()
			}
			if reset && strings.HasPrefix(l, "data:") && strings.Contains(l, marker) {
				found <- true
				return
			}
		}
		found <- false
	}()
	if !<-found {
		t.Errorf("the log stream did not deliver the line with %s printed after it opened (%v)", marker, ctx.Err())
	}
}

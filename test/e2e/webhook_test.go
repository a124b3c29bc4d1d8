package e2e

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/notify"
)

// hookReceiver is a webhook receiver on the guest's loopback: the panel in
// the guest posts to it, this test reads what arrived.
type hookReceiver struct {
	url    string
	got    chan notify.Payload
	secret string
	bad    chan string
	srv    *http.Server
}

// startHookReceiver listens on 127.0.0.1 inside the guest's network
// namespace and checks every body's signature with the secret set later.
func (h *harness) startHookReceiver(t *testing.T) *hookReceiver {
	t.Helper()
	var ln net.Listener
	if err := h.c.inNetNS(func() error {
		var err error
		ln, err = net.Listen("tcp", "127.0.0.1:0")
		return err
	}); err != nil {
		t.Fatalf("listen in the guest: %v", err)
	}
	r := &hookReceiver{url: "http://" + ln.Addr().String() + "/hook", got: make(chan notify.Payload, 64), bad: make(chan string, 64)}
	r.srv = &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(req.Body, 1<<20))
		if !notify.Verify(r.secret, body, req.Header.Get(notify.SignatureHeader)) {
			r.bad <- string(body)
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var p notify.Payload
		if err := json.Unmarshal(body, &p); err != nil {
			r.bad <- string(body)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.got <- p
	})}
	go r.srv.Serve(ln)
	t.Cleanup(func() { r.srv.Close() })
	return r
}

var secretLine = regexp.MustCompile(`signing secret, shown only now: ([0-9a-f]{64})`)

// webhookCrashSetup: a webhook on the guest's loopback (allowed by
// LEFT4ME_WEBHOOK_ALLOW_LOOPBACK) gets instance.crashed, signed, when the
// crashy instance's unit is restarted by systemd after a crash. It runs
// around crashChecks' crashy instance: the receiver before, the wait after.
func (h *harness) webhookCrashSetup(t *testing.T) (wait func(t *testing.T), restore func()) {
	restore = h.setWebEnv(t, map[string]string{"LEFT4ME_WEBHOOK_ALLOW_LOOPBACK": "true"})
	r := h.startHookReceiver(t)
	out, err := h.c.cli(h.ctx, nil, "webhook", "add", r.url, "--events", "instance.crashed", "--format", "json")
	m := secretLine.FindStringSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("left4me webhook add: %v\n%s", err, out)
	}
	r.secret = m[1]
	return func(t *testing.T) {
		deadline := time.After(90 * time.Second)
		for {
			select {
			case p := <-r.got:
				if p.Event == notify.EventCrashed && p.Instance == crashy {
					t.Logf("webhook got %s for %s: %v", p.Event, p.Instance, p.Detail)
					return
				}
			case b := <-r.bad:
				t.Fatalf("the receiver refused a body (signature or JSON):\n%s", b)
			case <-deadline:
				list, _ := h.c.cli(h.ctx, nil, "webhook", "deliveries", "1")
				web, _ := h.c.exec(h.ctx, nil, "journalctl", "--no-pager", "-n", "30", "-u", "left4me-web.service")
				t.Fatalf("no instance.crashed for %s within 90 s\n--- deliveries:\n%s\n--- web:\n%s", crashy, list, web)
			}
		}
	}, restore
}

// auditCLICheck: the CLI's webhook add above is in the audit log as
// cli:left4me (the CLI runs as the service user).
func (h *harness) auditCLICheck(t *testing.T) {
	out, err := h.c.cli(h.ctx, nil, "audit", "--action", "webhooks.create", "--json")
	if err != nil || !strings.Contains(out, `"actor": "cli:left4me"`) {
		t.Errorf("left4me audit: %v\n%s", err, out)
	}
}

package e2e

import (
	"encoding/json"
	"github.com/left4me/left4me/internal/notify"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The instance the watchdog check freezes.
const (
	wdog  = "wdog"
	wdogP = 27060
	// wdogGrace is the panel's LEFT4ME_WATCHDOG_GRACE in this check.
	wdogGrace = 15 * time.Second
	// wdogStartGrace is the watchdog's fixed start exemption.
	wdogStartGrace = 120 * time.Second
)

// watchdogChecks: a server whose every process is stopped with SIGSTOP
// (frozen: its unit active, no RCON, no A2S, no console line) is restarted
// by the panel's watchdog through systemd, and the instance's feed holds
// the diagnosis.
func (h *harness) watchdogChecks(t *testing.T) {
	h.check(t, "watchdog/sigstop-restarted", func(t *testing.T) {
		// A webhook on the guest's loopback hears of the frozen server.
		restore := h.setWebEnv(t, map[string]string{"LEFT4ME_WATCHDOG_GRACE": wdogGrace.String(), "LEFT4ME_WEBHOOK_ALLOW_LOOPBACK": "true"})
		defer restore()
		hook := h.startHookReceiver(t)
		out, err := h.c.cli(h.ctx, nil, "webhook", "add", hook.url, "--events", notify.EventFrozen, "--format", "json")
		m := secretLine.FindStringSubmatch(out)
		if err != nil || m == nil {
			t.Fatalf("left4me webhook add: %v\n%s", err, out)
		}
		hook.secret = m[1]
		h.create(t, wdog, wdogP)
		defer func() {
			_, _ = h.c.exec(h.ctx, nil, "systemctl", "kill", "--signal=SIGCONT", unitName(wdog))
			_, _ = h.c.cli(h.ctx, nil, "instance", "stop", wdog)
			_, _ = h.c.cli(h.ctx, nil, "instance", "delete", wdog, "--yes")
		}()
		p := h.login(t)
		base := "/api/v1/instances/" + wdog
		var view struct {
			Watchdog bool `json:"watchdog"`
			Live     *struct {
				Online       bool `json:"online"`
				NotAnswering bool `json:"not_answering"`
			} `json:"live"`
		}
		if err := json.Unmarshal([]byte(p.api(t, "GET", base)), &view); err != nil || !view.Watchdog {
			t.Fatalf("a new instance's watchdog: %+v %v", view, err)
		}
		h.cliOK(t, "instance", "start", wdog)
		h.mustState(t, wdog, "active")
		started := time.Now()
		if err := within(h.ctx, time.Minute, "the panel's live state of "+wdog, func() (bool, error) {
			if err := json.Unmarshal([]byte(p.api(t, "GET", base)), &view); err != nil {
				return false, err
			}
			return view.Live != nil && view.Live.Online && !view.Live.NotAnswering, nil
		}); err != nil {
			t.Fatalf("%v\n%s", err, h.unitLog(wdog))
		}
		// Out of the start's exemption, then frozen.
		if wait := wdogStartGrace - time.Since(started); wait > 0 {
			time.Sleep(wait)
		}
		mainPID := h.prop(t, unitName(wdog), "MainPID")
		if out, err := h.c.exec(h.ctx, nil, "systemctl", "kill", "--signal=SIGSTOP", unitName(wdog)); err != nil {
			t.Fatalf("SIGSTOP the server: %v\n%s", err, out)
		}
		frozen := time.Now()
		var restartedAfter time.Duration
		if err := within(h.ctx, wdogGrace+2*time.Minute, "a restart of "+wdog+" by the watchdog", func() (bool, error) {
			if pid := h.prop(t, unitName(wdog), "MainPID"); pid == mainPID || pid == "0" {
				return false, nil
			}
			if h.prop(t, unitName(wdog), "ActiveState") != "active" {
				return false, nil
			}
			restartedAfter = time.Since(frozen)
			return true, nil
		}); err != nil {
			web, _ := h.c.exec(h.ctx, nil, "journalctl", "--no-pager", "-n", "30", "-u", "left4me-web.service")
			t.Fatalf("%v\n%s\n--- web:\n%s", err, h.unitLog(wdog), web)
		}
		h.measure("watchdog: SIGSTOP to active again (grace "+wdogGrace.String()+", stop timeout 15s)", restartedAfter.Round(time.Second).String())
		t.Logf("restarted %s after SIGSTOP (grace %s)", restartedAfter.Round(time.Second), wdogGrace)

		var got struct {
			Events []struct {
				e2eEvent
				At time.Time `json:"at"`
			} `json:"events"`
		}
		code, body := p.do(t, "GET", base+"/events", nil, nil)
		if code != http.StatusOK || json.Unmarshal([]byte(body), &got) != nil {
			t.Fatalf("GET events: %d %s", code, body)
		}
		var diag string
		for _, e := range got.Events {
			if e.Kind == "watchdog" {
				diag = e.Text
				h.measure("watchdog: SIGSTOP to the watchdog's decision (grace "+wdogGrace.String()+")", e.At.Sub(frozen).Round(time.Second).String())
			}
		}
		if web, err := h.c.exec(h.ctx, nil, "journalctl", "--no-pager", "-o", "short-precise", "-n", "20", "-u", "left4me-web.service"); err == nil {
			t.Logf("the panel's log:\n%s", web)
		}
		if unit, err := h.c.exec(h.ctx, nil, "journalctl", "--no-pager", "-o", "short-precise", "-n", "20", "-u", unitName(wdog)); err == nil {
			t.Logf("the unit's log:\n%s", unit)
		}
		for _, want := range []string{"frozen: answered neither RCON status nor A2S", "restarting it (restart 1 of at most 3",
			"last good poll: ", "probes at ", "rcon: ", "a2s: ", "console (last ", "Connection to Steam servers successful."} {
			if !strings.Contains(diag, want) {
				t.Errorf("the diagnosis event lacks %q:\n%s", want, diag)
			}
		}
		if web, _ := h.c.exec(h.ctx, nil, "journalctl", "--no-pager", "-n", "200", "-u", "left4me-web.service"); !strings.Contains(web, "watchdog: server frozen") {
			t.Errorf("the panel's log does not name the frozen server:\n%s", web)
		}
		// The webhook got instance.frozen, signed, with the diagnosis.
		deadline := time.After(60 * time.Second)
		for got := false; !got; {
			select {
			case p := <-hook.got:
				if p.Event != notify.EventFrozen || p.Instance != wdog {
					continue
				}
				got = true
				console, _ := p.Detail["console"].([]any)
				if p.Detail["restarted"] != true || len(console) == 0 || p.Detail["last_good_poll"] == nil || p.Detail["probes"] == nil {
					t.Errorf("instance.frozen's detail lacks the diagnosis: %v", p.Detail)
				}
				t.Logf("webhook got %s for %s (%d console lines)", p.Event, p.Instance, len(console))
			case b := <-hook.bad:
				t.Fatalf("the receiver refused a body (signature or JSON):\n%s", b)
			case <-deadline:
				t.Fatalf("no %s for %s within 60 s", notify.EventFrozen, wdog)
			}
		}
	})
}

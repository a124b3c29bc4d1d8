package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/left4me/left4me/internal/auth"
	"github.com/left4me/left4me/internal/fakesrcds"
	"github.com/left4me/left4me/internal/history"
	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/jobs"
	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/process"
	"github.com/left4me/left4me/internal/store"
)

const testMetricsToken = "metrics-token-0123456789abcdef"

// runPanel runs servePanel with cfg and setup until the returned stop is
// called; it returns the panel's URL.
func runPanel(t *testing.T, cfg Config, setup func(ctx context.Context, a *app) error) (url string, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- servePanel(ctx, cfg, panelOptions{Listen: "127.0.0.1:0", Ready: func(u string) { ready <- u }}, setup)
	}()
	select {
	case url = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("servePanel ended before listening: %v", err)
	}
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("graceful shutdown: %v", err)
		}
	}
	t.Cleanup(stop)
	return url, stop
}

func getWith(t *testing.T, url, cookie, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: "left4me_session", Value: cookie})
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// parseMetrics parses an answer with the Prometheus text parser.
func parseMetrics(t *testing.T, body string) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("the Prometheus text parser refuses /metrics: %v\n%s", err, body)
	}
	return fams
}

// series is the value of family name's series whose labels include want.
func series(fams map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
next:
	for _, m := range fams[name].GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if have[k] != v {
				continue next
			}
		}
		switch {
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount()), true
		}
	}
	return 0, false
}

// lastHour is the from= of the last hour, in Unix seconds.
func lastHour() string { return fmt.Sprint(time.Now().Add(-time.Hour).Unix()) }

// TestPanelMetricsAndHistory runs the panel as `left4me serve` does with a
// stand-in server whose simulated player joins: /metrics, behind its
// token, parses with the Prometheus text parser and shows the instance
// running with its player, CPU and memory (read by the process supervisor)
// and the request durations by route; without the token it is refused.
// The history records the player; after the panel restarts, the history
// of the first run is still there (read before the second run samples
// anything), and the metrics move to LEFT4ME_METRICS_LISTEN.
func TestPanelMetricsAndHistory(t *testing.T) {
	if err := process.CanMount(); err != nil {
		t.Skipf("needs overlay mounts (root or user namespaces): %v", err)
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("needs the go tool to build fakesrcds")
	}
	root, err := layout.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := root.Create(0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "fakesrcds")
	if out, err := exec.Command(goTool, "build", "-o", bin, fakesrcds.PackagePath).CombinedOutput(); err != nil {
		t.Fatalf("build fakesrcds: %v\n%s", err, out)
	}
	if err := fakesrcds.WriteInstallation(root.Installation("1"), bin); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Root: root, DatabasePath: root.Database(), PortMin: 24200, PortMax: 24299,
		Supervisor: supervisorProcess, Logger: slog.New(slog.DiscardHandler),
		Metrics: MetricsConfig{Token: testMetricsToken}, HistoryEvery: time.Second}
	var cookie string
	var first *app
	url, stop := runPanel(t, cfg, func(ctx context.Context, a *app) error {
		first = a
		u, err := a.store.CreateUser(ctx, "alice", "unused", false)
		if err != nil {
			return err
		}
		id, _ := auth.NewSecret()
		cookie = id
		if err := a.store.CreateSession(ctx, store.Session{IDHash: auth.HashSecret(id), UserID: u.ID, CSRFToken: "x", ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
			return err
		}
		if _, _, err := a.jobs.Enqueue(ctx, "metrics_probe", nil, jobs.EnqueueOpts{}); err != nil {
			return err
		}
		_, err = a.svc.Create(ctx, instance.Spec{Name: "one", OwnerID: u.ID, Args: []string{"-fakeplayers", "1"}})
		return err
	})
	if err := first.svc.Start(context.Background(), "one"); err != nil {
		t.Fatal(err)
	}
	getWith(t, url+"health", "", "")

	for _, token := range []string{"", "wrong-token-0123456789"} {
		if code, body := getWith(t, url+"metrics", cookie, token); code != http.StatusUnauthorized || strings.Contains(body, "left4me_") {
			t.Errorf("/metrics with token %q (and a session): %d %.200s; want 401", token, code, body)
		}
	}
	one := map[string]string{"instance": "one"}
	var fams map[string]*dto.MetricFamily
	deadline := time.Now().Add(60 * time.Second)
	for {
		code, body := getWith(t, url+"metrics", "", testMetricsToken)
		if code != http.StatusOK {
			t.Fatalf("/metrics with the token: %d %s", code, body)
		}
		fams = parseMetrics(t, body)
		humans, _ := series(fams, "left4me_instance_humans", one)
		_, cpu := series(fams, "left4me_instance_cpu_seconds_total", one)
		if humans == 1 && cpu {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the metrics never showed the running server's player and CPU:\n%s", body)
		}
		time.Sleep(200 * time.Millisecond)
	}
	checks := []struct {
		name   string
		labels map[string]string
		ok     func(float64) bool
	}{
		{"left4me_instance_state", map[string]string{"instance": "one", "state": "running"}, func(v float64) bool { return v == 1 }},
		{"left4me_instance_max_players", one, func(v float64) bool { return v > 0 }},
		{"left4me_instance_bots", one, func(v float64) bool { return v >= 0 }},
		{"left4me_instance_memory_bytes", one, func(v float64) bool { return v > 0 }},
		{"left4me_instance_watchdog_restarts", one, func(v float64) bool { return v == 0 }},
		{"left4me_instance_last_poll_duration_seconds", one, func(v float64) bool { return v > 0 }},
		{"left4me_http_request_duration_seconds", map[string]string{"route": "GET /health", "code": "200"}, func(v float64) bool { return v == 1 }},
		{"left4me_build_info", nil, func(v float64) bool { return v == 1 }},
	}
	for _, c := range checks {
		if v, ok := series(fams, c.name, c.labels); !ok || !c.ok(v) {
			t.Errorf("%s%v = %v (present %v)", c.name, c.labels, v, ok)
		}
	}
	if _, ok := series(fams, "left4me_jobs", map[string]string{"kind": "metrics_probe"}); !ok {
		t.Error("no left4me_jobs series of the job queued in setup")
	}

	// The sampler records the player.
	deadline = time.Now().Add(60 * time.Second)
	for {
		code, body := getWith(t, url+"api/v1/instances/one/history?step=30s&from="+lastHour(), cookie, "")
		if code != http.StatusOK {
			t.Fatalf("history: %d %s", code, body)
		}
		if strings.Contains(body, `"humans": 1`) && strings.Contains(body, `"state": "running"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the history never showed the player:\n%s", body)
		}
		time.Sleep(200 * time.Millisecond)
	}
	stop()

	// The second run: the first run's history is in the database before
	// the sampler of this one runs.
	maddr := freeTCPAddr(t)
	cfg.Metrics = MetricsConfig{Listen: maddr}
	var before history.Series
	url, _ = runPanel(t, cfg, func(ctx context.Context, a *app) error {
		r, err := history.SinceRange(time.Now(), time.Hour, 30*time.Second)
		if err != nil {
			return err
		}
		before, err = history.InstanceHistory(ctx, a.store, "one", r)
		return err
	})
	found := false
	for _, p := range before.Points {
		if p.Humans == 1 && p.State == "running" {
			found = true
		}
	}
	if !found {
		t.Errorf("after the panel restarted, the history lacks the first run's player: %+v", before.Points)
	}
	code, body := getWith(t, url+"api/v1/instances/one/history?step=30s&from="+lastHour(), cookie, "")
	var h struct{ Points []struct{ Humans int } }
	if err := json.Unmarshal([]byte(body), &h); code != http.StatusOK || err != nil || len(h.Points) == 0 {
		t.Errorf("history after the restart: %d %v %s", code, err, body)
	}
	if code, _ := getWith(t, url+"metrics", "", ""); code != http.StatusNotFound {
		t.Errorf("/metrics on the panel's address without a token: %d; want 404 (served on %s only)", code, maddr)
	}
	code, body = getWith(t, fmt.Sprintf("http://%s/metrics", maddr), "", "")
	if code != http.StatusOK {
		t.Fatalf("/metrics on LEFT4ME_METRICS_LISTEN: %d %s", code, body)
	}
	if v, ok := series(parseMetrics(t, body), "left4me_instance_state", map[string]string{"instance": "one", "state": "stopped"}); !ok || v != 1 {
		t.Errorf("after the restart, one's state series = %v (present %v); want stopped", v, ok)
	}
}

// freeTCPAddr is a 127.0.0.1 address free for a listener now, from
// 24900–24999: this package's range (docs/architecture.md §6), below the
// kernel's ephemeral ports, which a client socket of a test running
// beside it could take between this check and the panel's bind.
func freeTCPAddr(t *testing.T) string {
	t.Helper()
	for port := 24900; port < 25000; port++ {
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			continue
		}
		addr := l.Addr().String()
		l.Close()
		return addr
	}
	t.Fatal("no free port in 24900-24999")
	return ""
}

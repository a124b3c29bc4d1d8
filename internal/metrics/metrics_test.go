package metrics

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/jobs"
	"github.com/left4me/left4me/internal/live"
)

type fakeInstances []string

func (f fakeInstances) List(ctx context.Context) ([]instance.Instance, error) {
	var out []instance.Instance
	for _, n := range f {
		out = append(out, instance.Instance{Name: n})
	}
	return out, nil
}

type fakeStates map[string]instance.State

func (f fakeStates) Status(ctx context.Context, name string) (instance.Status, error) {
	return instance.Status{State: f[name]}, nil
}

type fakeLive map[string]live.Snapshot

func (f fakeLive) Snapshot(name string) (live.Snapshot, bool) { s, ok := f[name]; return s, ok }

type fakeUsage map[string]instance.Usage

func (f fakeUsage) Usage(ctx context.Context, name string) (instance.Usage, error) {
	return f[name], nil
}

type fakeRestarts map[string]uint32

func (f fakeRestarts) Restarts(ctx context.Context, name string) (uint32, error) { return f[name], nil }

type fakeWatchdog map[string]int

func (f fakeWatchdog) WatchdogRestartsSince(ctx context.Context, name string, since time.Time) (int, error) {
	return f[name], nil
}

type fakeJobs []jobs.Count

func (f fakeJobs) Counts(ctx context.Context) ([]jobs.Count, error) { return f, nil }

// Sources is a full set of sources with one running and one stopped
// instance, for this package's and the dashboard's tests.
func testConfig() Config {
	return Config{
		Instances: fakeInstances{"alpha", "beta"},
		States:    fakeStates{"alpha": instance.Running, "beta": instance.Stopped},
		Live: fakeLive{"alpha": {Online: true, Humans: 3, Bots: 4, MaxPlayers: 8, PolledAt: time.Now(), PollDuration: 40 * time.Millisecond},
			"beta": {Online: true, Humans: 9}},
		Usage:    fakeUsage{"alpha": {CPU: 90 * time.Second, Memory: 512 << 20}},
		Restarts: fakeRestarts{"alpha": 2},
		Watchdog: fakeWatchdog{"alpha": 1},
		Jobs:     fakeJobs{{Kind: "install", State: jobs.StateSucceeded, N: 3}, {Kind: "layer_build", State: jobs.StateFailed, N: 1}},
		Version:  "v9.9.9",
	}
}

// scrape fetches and parses h's answer with the Prometheus text parser.
func scrape(t *testing.T, h http.Handler, token string) map[string]*dto.MetricFamily {
	t.Helper()
	req := httptest.NewRequest("GET", "/metrics", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics = %d %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type %q; want the text exposition format", ct)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatalf("the Prometheus text parser refuses /metrics: %v", err)
	}
	return fams
}

// value is the value of family name's series with the given labels, and
// whether there is one.
func value(fams map[string]*dto.MetricFamily, name string, labels map[string]string) (float64, bool) {
	f, ok := fams[name]
	if !ok {
		return 0, false
	}
next:
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range labels {
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

// TestMetricsCarryTheSeries: /metrics parses with the Prometheus text
// parser and carries per-instance state, players, slots, restarts,
// watchdog restarts, CPU, memory and poll duration; jobs by kind and
// state; request durations by route pattern; build info.
func TestMetricsCarryTheSeries(t *testing.T) {
	m := New(testConfig())
	m.ObserveRequest("GET /instances/{name}", 200, 3*time.Millisecond)
	m.ObserveRequest("GET /instances/{name}", 200, 5*time.Millisecond)
	fams := scrape(t, Protect(m.Handler(), "s3cret-token-for-tests"), "s3cret-token-for-tests")
	alpha := map[string]string{"instance": "alpha"}
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"left4me_instance_state", map[string]string{"instance": "alpha", "state": "running"}, 1},
		{"left4me_instance_state", map[string]string{"instance": "alpha", "state": "stopped"}, 0},
		{"left4me_instance_state", map[string]string{"instance": "beta", "state": "stopped"}, 1},
		{"left4me_instance_humans", alpha, 3},
		{"left4me_instance_humans", map[string]string{"instance": "beta"}, 0}, // stopped: its old snapshot is not counted
		{"left4me_instance_bots", alpha, 4},
		{"left4me_instance_max_players", alpha, 8},
		{"left4me_instance_restarts", alpha, 2},
		{"left4me_instance_watchdog_restarts", alpha, 1},
		{"left4me_instance_cpu_seconds_total", alpha, 90},
		{"left4me_instance_memory_bytes", alpha, 512 << 20},
		{"left4me_instance_last_poll_duration_seconds", alpha, 0.04},
		{"left4me_jobs", map[string]string{"kind": "install", "state": "succeeded"}, 3},
		{"left4me_jobs", map[string]string{"kind": "layer_build", "state": "failed"}, 1},
		{"left4me_http_request_duration_seconds", map[string]string{"route": "GET /instances/{name}", "code": "200"}, 2},
		{"left4me_build_info", map[string]string{"version": "v9.9.9"}, 1},
	} {
		got, ok := value(fams, c.name, c.labels)
		if !ok || got != c.want {
			t.Errorf("%s%v = %v (present %v); want %v", c.name, c.labels, got, ok, c.want)
		}
	}
	if _, ok := value(fams, "left4me_instance_cpu_seconds_total", map[string]string{"instance": "beta"}); ok {
		t.Error("a stopped instance has a CPU series")
	}
	if fams["left4me_instance_cpu_seconds_total"].GetType() != dto.MetricType_COUNTER {
		t.Error("CPU seconds is not a counter")
	}
}

// TestMetricsRefuseWithoutToken: no token, a wrong one, another scheme,
// and any request when no token is configured are answered 401 without
// a series.
func TestMetricsRefuseWithoutToken(t *testing.T) {
	m := New(testConfig())
	for _, c := range []struct{ configured, header string }{
		{"s3cret-token-for-tests", ""},
		{"s3cret-token-for-tests", "Bearer wrong"},
		{"s3cret-token-for-tests", "Basic s3cret-token-for-tests"},
		{"", "Bearer "},
		{"", ""},
	} {
		req := httptest.NewRequest("GET", "/metrics", nil)
		if c.header != "" {
			req.Header.Set("Authorization", c.header)
		}
		rec := httptest.NewRecorder()
		Protect(m.Handler(), c.configured).ServeHTTP(rec, req)
		if rec.Code != http.StatusUnauthorized || strings.Contains(rec.Body.String(), "left4me_instance") {
			t.Errorf("token %q, Authorization %q: %d %q; want 401 without series", c.configured, c.header, rec.Code, rec.Body)
		}
	}
}

package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"

	"github.com/left4me/left4me/internal/history"
	"github.com/left4me/left4me/internal/live"
	"github.com/left4me/left4me/internal/metrics"
)

// historyPart samples every instance and the host every 30 s into the
// database (internal/history): the panel's graphs and history API read
// it. CPU and memory come from the supervisor (systemd's unit properties,
// or the process supervisor's /proc reading).
func historyPart(a *app, poller *live.Poller, lg *slog.Logger) part {
	usage, _ := a.sup.(history.UsageReader)
	s := history.NewSampler(history.Config{
		Store: a.store, Instances: a.svc, States: a.sup, Usage: usage, Live: poller, Logger: lg,
		Interval: a.cfg.HistoryEvery,
	})
	return part{"history sampler", s.Run}
}

// panelMetrics is the panel's Prometheus registry over its instances,
// supervisor, live poller, watchdog records and job queue.
func panelMetrics(a *app, poller *live.Poller, lg *slog.Logger) *metrics.Metrics {
	usage, _ := a.sup.(metrics.UsageReader)
	restarts, _ := a.sup.(metrics.RestartCounter)
	return metrics.New(metrics.Config{
		Instances: a.svc, States: a.sup, Live: poller, Usage: usage, Restarts: restarts,
		Watchdog: a.store, Jobs: a.jobs, Logger: lg,
	})
}

// withMetrics serves GET /metrics next to the panel when a token is set:
// only to requests bearing it (metrics.Protect). Without a token the
// panel's own mux answers /metrics (404): never public by default.
func withMetrics(panel http.Handler, m *metrics.Metrics, mc MetricsConfig) http.Handler {
	if mc.Token == "" {
		return panel
	}
	protected := metrics.Protect(m.Handler(), mc.Token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/metrics" {
			protected.ServeHTTP(w, r)
			return
		}
		panel.ServeHTTP(w, r)
	})
}

// metricsListener listens on LEFT4ME_METRICS_LISTEN, or returns nil when
// it is not set.
func metricsListener(mc MetricsConfig) (net.Listener, error) {
	if mc.Listen == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", mc.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen on LEFT4ME_METRICS_LISTEN %s: %w", mc.Listen, err)
	}
	return ln, nil
}

// metricsOnly is the handler of the metrics' own address: /metrics (behind
// the token when one is set) and nothing else.
func metricsOnly(m *metrics.Metrics, mc MetricsConfig) http.Handler {
	h := m.Handler()
	if mc.Token != "" {
		h = metrics.Protect(h, mc.Token)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	return mux
}

// metricsPart serves metricsOnly on ln until ctx ends.
func metricsPart(m *metrics.Metrics, mc MetricsConfig, ln net.Listener, lg *slog.Logger) part {
	serve := httpServer(metricsOnly(m, mc), ln, lg, nil)
	return part{"metrics server", func(ctx context.Context) error { return serve(ctx) }}
}

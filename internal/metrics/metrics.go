// Package metrics is the panel's Prometheus endpoint (/metrics, the text
// exposition format, with the official Go client library): per-instance
// state, players, restarts, CPU, memory and poll duration, read when
// scraped; jobs by kind and state; HTTP request durations by route pattern;
// build info (docs/operations.md, "History and metrics").
//
// It is never public: the handler Protect returns wants a bearer token,
// or the panel serves it on a listen address of its own.
package metrics

import (
	"context"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/jobs"
	"github.com/left4me/left4me/internal/live"
)

// Instances lists the instances (the instance service).
type Instances interface {
	List(ctx context.Context) ([]instance.Instance, error)
}

// States reports an instance's run state (the supervisor).
type States interface {
	Status(ctx context.Context, name string) (instance.Status, error)
}

// Snapshots answers an instance's last polled live state (*live.Poller).
type Snapshots interface {
	Snapshot(name string) (live.Snapshot, bool)
}

// UsageReader reports a running instance's CPU time and memory.
type UsageReader interface {
	Usage(ctx context.Context, name string) (instance.Usage, error)
}

// RestartCounter counts the supervisor's own restarts of a crashed server
// (systemd's NRestarts).
type RestartCounter interface {
	Restarts(ctx context.Context, name string) (uint32, error)
}

// WatchdogCounter counts the watchdog's restarts of an instance (*store.Store).
type WatchdogCounter interface {
	WatchdogRestartsSince(ctx context.Context, name string, since time.Time) (int, error)
}

// JobCounter counts the jobs by kind and state (*jobs.Manager).
type JobCounter interface {
	Counts(ctx context.Context) ([]jobs.Count, error)
}

// Config is what the metrics are read from. Instances and States are
// required; every other source may be nil (its series are then absent).
type Config struct {
	Instances Instances
	States    States
	Live      Snapshots
	Usage     UsageReader
	Restarts  RestartCounter
	Watchdog  WatchdogCounter
	Jobs      JobCounter
	// Version is the build's version for left4me_build_info; empty reads
	// the module version Go recorded in the binary.
	Version string
	Logger  *slog.Logger
	Now     func() time.Time
}

// Metrics is the panel's registry.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.HistogramVec
}

// scrapeTimeout bounds the reads of one scrape.
const scrapeTimeout = 10 * time.Second

// New registers the panel's collectors, the Go runtime's and this
// process's.
func New(cfg Config) *Metrics {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Version == "" {
		cfg.Version = "(devel)"
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
			cfg.Version = bi.Main.Version
		}
	}
	reg := prometheus.NewRegistry()
	m := &Metrics{
		reg: reg,
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "left4me_http_request_duration_seconds",
			Help:    "Time to answer panel and API requests, by route pattern (the route table's, not the path) and status code.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
		}, []string{"route", "code"}),
	}
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "left4me_build_info",
		Help:        "Always 1; the labels say which left4me build runs.",
		ConstLabels: prometheus.Labels{"version": cfg.Version, "goversion": runtime.Version()},
	})
	build.Set(1)
	reg.MustRegister(m.requests, build, &collector{cfg: cfg},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry in the text exposition format, unprotected:
// wrap it with Protect, or serve it on a private address.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// ObserveRequest records one answered request: route is the route table's
// pattern ("GET /instances/{name}"), never the raw path, so that the
// series stay few.
func (m *Metrics) ObserveRequest(route string, code int, d time.Duration) {
	m.requests.WithLabelValues(route, codeLabel(code)).Observe(d.Seconds())
}

func codeLabel(code int) string {
	if code < 100 || code > 999 {
		return "000"
	}
	return string([]byte{byte('0' + code/100), byte('0' + code/10%10), byte('0' + code%10)})
}

// Protect answers h only to requests carrying "Authorization: Bearer
// TOKEN"; others get 401. An empty token refuses everyone: the metrics
// are never public by default.
func Protect(h http.Handler, token string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if token == "" || !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="left4me metrics"`)
			http.Error(w, "metrics need the bearer token of LEFT4ME_METRICS_TOKEN", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

var (
	descState = prometheus.NewDesc("left4me_instance_state",
		"1 for the state the instance is in (stopped, starting, running, stopping, failed), 0 for the others.",
		[]string{"instance", "state"}, nil)
	descHumans = prometheus.NewDesc("left4me_instance_humans",
		"Human players on the instance's server at the last live poll.", []string{"instance"}, nil)
	descBots = prometheus.NewDesc("left4me_instance_bots",
		"Bots on the instance's server at the last live poll.", []string{"instance"}, nil)
	descMaxPlayers = prometheus.NewDesc("left4me_instance_max_players",
		"Player slots of the instance's server at the last live poll.", []string{"instance"}, nil)
	descRestarts = prometheus.NewDesc("left4me_instance_restarts",
		"Restarts of the crashed server by systemd (Restart=on-failure) since the last start by an operator.", []string{"instance"}, nil)
	descWatchdog = prometheus.NewDesc("left4me_instance_watchdog_restarts",
		"Restarts of the frozen server by the panel's watchdog in the last 24 hours.", []string{"instance"}, nil)
	descCPU = prometheus.NewDesc("left4me_instance_cpu_seconds_total",
		"CPU time the instance's server used since it started (the unit's CPUUsageNSec).", []string{"instance"}, nil)
	descMemory = prometheus.NewDesc("left4me_instance_memory_bytes",
		"Memory the instance's server holds (the unit's MemoryCurrent).", []string{"instance"}, nil)
	descPoll = prometheus.NewDesc("left4me_instance_last_poll_duration_seconds",
		"How long the last live poll (RCON status and A2S) of the instance's server took.", []string{"instance"}, nil)
	descJobs = prometheus.NewDesc("left4me_jobs",
		"Background jobs by kind and state.", []string{"kind", "state"}, nil)
	descScrapeErrors = prometheus.NewDesc("left4me_scrape_errors",
		"Sources that could not be read during this scrape.", []string{"source"}, nil)
)

// allStates are the states left4me_instance_state has a series for.
var allStates = []instance.State{instance.Stopped, instance.Starting, instance.Running, instance.Stopping, instance.Failed}

// collector reads the per-instance and job series at each scrape.
type collector struct{ cfg Config }

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descState, descHumans, descBots, descMaxPlayers, descRestarts, descWatchdog,
		descCPU, descMemory, descPoll, descJobs, descScrapeErrors} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	// Collect has no context of its own: a scrape's reads are bounded here.
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	errs := map[string]float64{"instances": 0, "jobs": 0}
	all, err := c.cfg.Instances.List(ctx)
	if err != nil {
		c.cfg.Logger.Warn("metrics: list instances", "err", err)
		errs["instances"]++
	}
	since := c.cfg.Now().Add(-24 * time.Hour)
	for _, in := range all {
		c.instance(ctx, ch, in.Name, since)
	}
	if c.cfg.Jobs != nil {
		counts, err := c.cfg.Jobs.Counts(ctx)
		if err != nil {
			c.cfg.Logger.Warn("metrics: count jobs", "err", err)
			errs["jobs"]++
		}
		for _, n := range counts {
			ch <- prometheus.MustNewConstMetric(descJobs, prometheus.GaugeValue, float64(n.N), n.Kind, string(n.State))
		}
	}
	for src, n := range errs {
		ch <- prometheus.MustNewConstMetric(descScrapeErrors, prometheus.GaugeValue, n, src)
	}
}

func (c *collector) instance(ctx context.Context, ch chan<- prometheus.Metric, name string, since time.Time) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, append([]string{name}, labels...)...)
	}
	st, err := c.cfg.States.Status(ctx, name)
	if err != nil {
		c.cfg.Logger.Debug("metrics: status", "instance", name, "err", err)
		return
	}
	for _, s := range allStates {
		v := 0.0
		if st.State == s {
			v = 1
		}
		gauge(descState, v, string(s))
	}
	running := st.State == instance.Running
	if c.cfg.Live != nil {
		snap, ok := c.cfg.Live.Snapshot(name)
		humans, bots, slots := 0, 0, 0
		if ok && running && snap.Online {
			humans, bots, slots = snap.Humans, snap.Bots, snap.MaxPlayers
		}
		gauge(descHumans, float64(humans))
		gauge(descBots, float64(bots))
		gauge(descMaxPlayers, float64(slots))
		if ok && running && !snap.PolledAt.IsZero() {
			gauge(descPoll, snap.PollDuration.Seconds())
		}
	}
	if c.cfg.Restarts != nil {
		if n, err := c.cfg.Restarts.Restarts(ctx, name); err == nil {
			gauge(descRestarts, float64(n))
		}
	}
	if c.cfg.Watchdog != nil {
		if n, err := c.cfg.Watchdog.WatchdogRestartsSince(ctx, name, since); err == nil {
			gauge(descWatchdog, float64(n))
		}
	}
	if c.cfg.Usage != nil && running {
		u, err := c.cfg.Usage.Usage(ctx, name)
		if err != nil {
			c.cfg.Logger.Debug("metrics: usage", "instance", name, "err", err)
		}
		if err == nil {
			if u.CPU >= 0 {
				ch <- prometheus.MustNewConstMetric(descCPU, prometheus.CounterValue, u.CPU.Seconds(), name)
			}
			if u.Memory >= 0 {
				gauge(descMemory, float64(u.Memory))
			}
		}
	}
}

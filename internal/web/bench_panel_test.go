package web

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/fakesrcds"
	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/live"
)

// The panel-speed benchmark of the instance lists (issue 12 §5): 100
// instances of which 21 run, each running one an in-process stand-in
// server with 4 humans and 2 bots polled once by a real live poller, seen
// by an admin. For each list (HTML and JSON) it reports the latency
// percentiles at a fixed rate (requests sent on a schedule whatever the
// answers do, latency counted from the scheduled time) and the most
// requests a second a few concurrent clients get. Run it with
//
//	go test -run '^$' -bench BenchmarkPanelLists -benchtime 1x ./internal/web
//
// The "uncached" variants turn the list cache (and the JSON list's cache of
// encoded views) off: the panel before them. "json-before" is the JSON list
// with the list cache but encoded as before the cache of encoded views
// (the whole list through json.Encoder with SetIndent): their baseline.
// "json-churn" is "json" with every running instance's live state changed
// every churnEvery (the poller refreshes every 5 s): the cache of encoded
// views re-encodes each of them that often.

const (
	benchInstances = 100
	benchRunning   = 21
	benchRate      = 500             // requests a second for the percentiles
	benchFor       = 3 * time.Second // how long each measurement lasts
	benchClients   = 8               // concurrent clients for the maximum
)

// benchLists builds the panel of the benchmark.
func benchLists(b *testing.B) (*env, *http.Client) {
	e := newEnv(b)
	admin := e.quickUser("root", true)
	ctx := context.Background()
	dir := b.TempDir()
	if err := fakesrcds.WriteInstallation(dir, ""); err != nil {
		b.Fatal(err)
	}
	host := testQueryHost()
	var targets []live.Target
	for i := range benchInstances {
		name := fmt.Sprintf("server-%03d", i)
		if _, err := e.svc.Create(ctx, instance.Spec{Name: name, OwnerID: admin.ID, Args: []string{"+map", "c1m1_hotel"}}); err != nil {
			b.Fatal(err)
		}
		if i%4 != 0 || len(targets) == benchRunning {
			continue
		}
		e.sup.Start(ctx, name)
		sctx, cancel := context.WithCancel(ctx)
		b.Cleanup(cancel)
		if err := os.WriteFile(filepath.Join(dir, "left4dead2", "cfg", "server.cfg"), []byte("hostname "+name+"\n"), 0o644); err != nil {
			b.Fatal(err)
		}
		srv, err := fakesrcds.Start(sctx, fakesrcds.Config{Dir: dir, Args: []string{"-game", "left4dead2", "+ip", "0.0.0.0",
			"+hostport", "0", "+rcon_password", "pw", "-fakeplayers", "4", "-fakebots", "2"}})
		if err != nil {
			b.Fatal(err)
		}
		st, _ := e.sup.Status(ctx, name)
		targets = append(targets, live.Target{Name: name, RCONAddr: srv.Addr(), RCONPassword: "pw", Run: st.Since,
			A2SAddr: net.JoinHostPort(host.String(), strconv.Itoa(srv.Port()))})
	}
	if len(targets) < benchRunning {
		b.Fatal("too few running instances")
	}
	p := live.NewPoller(live.Config{}, live.TargetFunc(func(context.Context) ([]live.Target, error) { return targets, nil }), nil, nil)
	if err := p.Refresh(ctx); err != nil {
		b.Fatal(err)
	}
	e.srv.cfg.Live = PollerLive(p)
	c := e.as(admin)
	hc := &http.Client{Jar: c.hc.Jar, Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxIdleConns: 256}}
	return e, hc
}

func benchGet(b *testing.B, hc *http.Client, url string) {
	resp, err := hc.Get(url)
	if err != nil {
		b.Error(err)
		return
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Errorf("GET %s = %d", url, resp.StatusCode)
	}
}

// fixedRate sends rate requests a second for d and returns the latencies,
// each from the moment its request was due.
func fixedRate(b *testing.B, hc *http.Client, url string, rate int, d time.Duration) []time.Duration {
	n := int(d.Seconds() * float64(rate))
	lat := make([]time.Duration, n)
	every := time.Second / time.Duration(rate)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range n {
		due := start.Add(time.Duration(i) * every)
		time.Sleep(time.Until(due))
		wg.Go(func() {
			benchGet(b, hc, url)
			lat[i] = time.Since(due)
		})
	}
	wg.Wait()
	slices.Sort(lat)
	return lat
}

// cpuTime is the CPU time this process has used (user and system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// maxRate has clients request url back to back for d and returns requests
// a second and the process's CPU time per request (the clients' included:
// the figure that does not depend on how busy the host is).
func maxRate(b *testing.B, hc *http.Client, url string, clients int, d time.Duration) (float64, time.Duration) {
	var count atomic.Int64
	stop := time.Now().Add(d)
	var wg sync.WaitGroup
	cpu := cpuTime()
	start := time.Now()
	for range clients {
		wg.Go(func() {
			for time.Now().Before(stop) {
				benchGet(b, hc, url)
				count.Add(1)
			}
		})
	}
	wg.Wait()
	n := count.Load()
	return float64(n) / time.Since(start).Seconds(), (cpuTime() - cpu) / time.Duration(max(n, 1))
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func BenchmarkPanelLists(b *testing.B) {
	e, hc := benchLists(b)
	for _, tc := range []struct {
		name, path          string
		uncached, oldEncode bool
	}{
		{"html-uncached", "/instances", true, false},
		{"json-uncached", "/api/v1/instances", true, false},
		{"html", "/instances", false, false},
		{"json-before", "/api/v1/instances", false, true},
		{"json", "/api/v1/instances", false, false},
		{"json-churn", "/api/v1/instances", false, false},
	} {
		b.Run(tc.name, func(b *testing.B) {
			e.srv.noListCache, e.srv.oldListJSON = tc.uncached, tc.oldEncode
			if tc.name == "json-churn" {
				polled := e.srv.cfg.Live
				e.srv.cfg.Live = churnLive{polled}
				defer func() { e.srv.cfg.Live = polled }()
			}
			url := e.ts.URL + tc.path
			for range 50 {
				benchGet(b, hc, url) // warm up connections and caches
			}
			for b.Loop() {
				lat := fixedRate(b, hc, url, benchRate, benchFor)
				b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
				b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms")
				rate, cpu := maxRate(b, hc, url, benchClients, benchFor)
				b.ReportMetric(rate, "max-req/s")
				b.ReportMetric(ms(cpu), "cpu-ms/req")
			}
		})
	}
}

// churnEvery is how often churnLive changes the live states.
const churnEvery = 100 * time.Millisecond

// churnLive is a live source whose states change every churnEvery.
type churnLive struct{ LiveSource }

func (c churnLive) Live(name string) (LiveState, bool) {
	l, ok := c.LiveSource.Live(name)
	l.UpdatedAt = time.Now().Truncate(churnEvery).UTC()
	return l, ok
}

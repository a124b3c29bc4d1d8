package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/instance"
)

// benchPanel is a panel with 100 instances, half of them running with six
// players each, seen by an admin.
func benchPanel(b *testing.B) (*env, *client) {
	e := newEnv(b)
	admin := e.quickUser("root", true)
	ctx := context.Background()
	for i := range 100 {
		name := fmt.Sprintf("server-%03d", i)
		if _, err := e.svc.Create(ctx, instance.Spec{Name: name, OwnerID: admin.ID, Args: []string{"+map", "c1m1_hotel"}}); err != nil {
			b.Fatal(err)
		}
		if i%2 == 0 {
			e.sup.Start(ctx, name)
		}
	}
	players := make([]LivePlayer, 6)
	for i := range players {
		players[i] = LivePlayer{Name: fmt.Sprintf("player%d", i), Score: i, Connected: time.Duration(i) * time.Minute, Ping: 40}
	}
	e.srv.cfg.Live = liveFunc(func(name string) (LiveState, bool) {
		return LiveState{Online: true, Map: "c1m1_hotel", Humans: 6, MaxPlayers: 8, Players: slices.Clone(players)}, true
	})
	return e, e.as(admin)
}

// benchList requests path b.N times from `workers` concurrent clients and
// reports requests/second and the 50th and 99th latency percentiles.
func benchList(b *testing.B, path string, workers int) {
	e, c := benchPanel(b)
	hc := &http.Client{Jar: c.hc.Jar, Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	get := func() time.Duration {
		start := time.Now()
		resp, err := hc.Get(e.ts.URL + path)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("GET %s = %d", path, resp.StatusCode)
		}
		return time.Since(start)
	}
	get() // warm up connections and caches
	lat := make([]time.Duration, b.N)
	var wg sync.WaitGroup
	next := make(chan int, b.N)
	for i := range b.N {
		next <- i
	}
	close(next)
	b.ResetTimer()
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for i := range next {
				lat[i] = get()
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkInstanceList measures the instance list with 100 instances: the
// HTML page and the JSON API, one client and eight concurrent clients.
func BenchmarkInstanceList(b *testing.B) {
	for _, tc := range []struct {
		name, path string
	}{{"html", "/instances"}, {"api", "/api/v1/instances"}} {
		for _, workers := range []int{1, 8} {
			b.Run(fmt.Sprintf("%s/clients=%d", tc.name, workers), func(b *testing.B) {
				benchList(b, tc.path, workers)
			})
		}
	}
}

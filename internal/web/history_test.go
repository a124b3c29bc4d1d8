package web

import (
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestHistoryCards: the instance page draws its history as inline SVG
// (players, CPU, memory) with no script; an instance without samples says
// so; a bad ?since= is said in the card naming the field; the host page is
// for administrators and draws players, CPU, load and memory.
func TestHistoryCards(t *testing.T) {
	e := newEnv(t)
	admin := e.quickUser("root", true)
	bob := e.quickUser("bob", false)
	e.mustCreate("alpha", bob)
	e.mustCreate("quiet", bob)
	addHistory(t, e.st, "alpha", e.clock())

	resp, body := e.as(bob).get("/instances/alpha")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("instance page: %d", resp.StatusCode)
	}
	for _, want := range []string{`<svg class="chart" id="graph-players"`, `id="graph-cpu"`, `id="graph-memory"`, "<polyline", "Players of alpha", "300 MiB", "60%"} {
		if !strings.Contains(body, want) {
			t.Errorf("the instance page lacks %s", want)
		}
	}
	for _, svg := range strings.Split(body, `<svg class="chart"`)[1:] {
		svg, _, _ = strings.Cut(svg, "</svg>")
		if strings.Contains(svg, "style=") || strings.Contains(svg, "<script") || handlerAttr.MatchString(svg) {
			t.Errorf("a chart carries inline style or script (the CSP refuses both): %s", svg)
		}
	}
	_, body = e.as(bob).get("/instances/quiet")
	if !strings.Contains(body, `id="history-empty"`) || strings.Contains(body, `id="graph-players"`) {
		t.Error("an instance without samples does not say it has none")
	}
	_, body = e.as(bob).get("/instances/alpha?since=forever")
	if !strings.Contains(body, "since: ") || strings.Contains(body, `id="graph-players"`) {
		t.Error("a bad ?since= is not said naming the field")
	}
	_, body = e.as(bob).get("/instances/alpha?since=7d")
	if !strings.Contains(body, `href="?since=7d#history" aria-current="page"`) {
		t.Error("the chosen span is not marked")
	}

	if resp, _ := e.as(bob).get("/host"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("the host page for a non-administrator: %d, want 403", resp.StatusCode)
	}
	resp, body = e.as(admin).get("/host")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("host page: %d", resp.StatusCode)
	}
	for _, want := range []string{`id="graph-host-players"`, `id="graph-host-cpu"`, `id="graph-host-load"`, `id="graph-host-memory"`, `href="/host"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the host page lacks %s", want)
		}
	}
}

// handlerAttr is an event handler attribute (onload=, onclick=, ...).
var handlerAttr = regexp.MustCompile(`\son[a-z]+=`)

type observed struct {
	mu     sync.Mutex
	routes []string
}

func (o *observed) ObserveRequest(route string, code int, d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.routes = append(o.routes, route)
}

// TestRequestsObservedByPattern: the request metrics name the route
// table's pattern, never the path; a path no route has is "unmatched".
func TestRequestsObservedByPattern(t *testing.T) {
	o := &observed{}
	e := newEnvWith(t, func(e *env, cfg *Config) { cfg.Metrics = o })
	bob := e.quickUser("bob", false)
	e.mustCreate("alpha", bob)
	e.as(bob).get("/instances/alpha")
	e.as(bob).get("/api/v1/instances/alpha/history")
	e.as(bob).get("/no/such/page")
	o.mu.Lock()
	defer o.mu.Unlock()
	got := strings.Join(o.routes, "\n")
	if got != "GET /instances/{name}\nGET /api/v1/instances/{name}/history\nunmatched" {
		t.Errorf("observed routes:\n%s", got)
	}
}

// TestMemoryAxisLabelsFit: a memory axis label is at most "NNN MiB" or a
// GiB figure, so it fits beside the chart (four-digit MiB labels were cut).
func TestMemoryAxisLabelsFit(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 500: "500 MiB", 999: "999 MiB", 1000: "1 GiB", 1536: "1.5 GiB"} {
		if got := formatMiB(v); got != want {
			t.Errorf("formatMiB(%v) = %q, want %q", v, got, want)
		}
	}
}

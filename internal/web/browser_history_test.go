package web

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/store"
)

// seedEvening records six hours of an instance's evening: players rising
// and falling, bots filling the free survivor slots, CPU following the
// players, and twenty minutes stopped (a gap in the lines).
func seedEvening(t *testing.T, st *store.Store, name string, now time.Time) {
	t.Helper()
	ctx := context.Background()
	start := now.Add(-6 * time.Hour)
	for at := start; at.Before(now); at = at.Add(30 * time.Second) {
		h := at.Sub(start).Hours()
		humans := int(math.Round(4 + 4*math.Sin(h*math.Pi/3)))
		in := store.InstanceSample{Instance: name, At: at, Span: 30 * time.Second, State: "running", Map: "c2m1_highway",
			Humans: humans, Bots: max(0, 4-humans), CPUMilli: int64(150 + 80*humans), MemBytes: int64(620+15*humans) << 20}
		if h > 2 && h < 2.34 {
			in = store.InstanceSample{Instance: name, At: at, Span: 30 * time.Second, State: "stopped", CPUMilli: -1, MemBytes: -1}
		}
		host := store.HostSample{At: at, Span: 30 * time.Second, Humans: in.Humans + 3, Bots: in.Bots + 1, Running: 2,
			CPUMilli: max(in.CPUMilli, 0) + 300, MemBytes: max(in.MemBytes, 0) + 700<<20,
			LoadCenti: int64(40 + 10*in.Humans), HostUsed: 3<<30 + int64(in.Humans)<<26, HostTotal: 8 << 30}
		if err := st.AddSamples(ctx, host, []store.InstanceSample{in}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestBrowserHistory opens the instance page in headless Chromium: the
// History card draws players, CPU and memory as inline SVG (lines with
// points, no script), the span links switch the range, and the host page
// draws the host's charts. Screenshots: artifacts/instance-history.png
// and artifacts/host-page.png.
func TestBrowserHistory(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	p := startRealPanel(t)
	bg := context.Background()
	admin, err := p.store.UserByName(bg, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.svc.Create(bg, instance.Spec{Name: "evening", OwnerID: admin.ID, Layers: []string{"example"}}); err != nil {
		t.Fatal(err)
	}
	seedEvening(t, p.store, "evening", time.Now())
	ctx := newBrowser(t)
	step := stepper(t, ctx, 45*time.Second)
	step("log in",
		chromedp.Navigate(p.url+"/instances/evening?since=6h"),
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), "admin"),
		chromedp.SendKeys(chromedp.ID("password"), "browser-test-pw"),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		waitText("h1", "evening"),
	)
	step("see the graphs",
		chromedp.WaitVisible(chromedp.CSS(`#graph-players polyline`)),
		chromedp.WaitVisible(chromedp.CSS(`#graph-cpu polyline`)),
		chromedp.WaitVisible(chromedp.CSS(`#graph-memory polyline`)),
		waitText("#history", "humans"),
	)
	rctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	lines, err := chromedp.Run(rctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('#graph-players polyline')).map(p => p.getAttribute('points'))`))
	if err != nil {
		t.Fatal(err)
	}
	width, err := chromedp.Run(rctx, chromedp.Evaluate[float64](`document.querySelector('#graph-players').getBoundingClientRect().width`))
	if err != nil {
		t.Fatal(err)
	}
	// Humans and bots (none while stopped: the lines go on at 0).
	if len(lines) != 2 || width < 300 {
		t.Errorf("players chart: %d lines, %.0f px wide; want humans and bots, drawn wide", len(lines), width)
	}
	cpuRuns, err := chromedp.Run(rctx, chromedp.Evaluate[int](`document.querySelectorAll('#graph-cpu polyline').length`))
	if err != nil || cpuRuns != 2 {
		t.Errorf("CPU chart: %d lines (%v); want two, broken where the server was stopped", cpuRuns, err)
	}
	points := 0
	for _, l := range lines {
		points += len(strings.Fields(l))
	}
	if points < 100 {
		t.Errorf("the players chart has %d points over six hours; want one per step", points)
	}
	saveScreenshot(t, ctx, "instance-history.png")
	t.Logf("screenshot of the instance page with graphs: artifacts/instance-history.png")

	step("switch to 24 hours",
		chromedp.Click(chromedp.CSS(`#history a[href="?since=24h#history"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#history a[aria-current=page][href="?since=24h#history"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#graph-players polyline`)),
	)
	step("the host page",
		chromedp.Navigate(p.url+"/host?since=6h"),
		waitText("h1", "Host"),
		chromedp.WaitVisible(chromedp.CSS(`#graph-host-players polyline`)),
		chromedp.WaitVisible(chromedp.CSS(`#graph-host-load polyline`)),
		chromedp.WaitVisible(chromedp.CSS(`#graph-host-memory polyline`)),
	)
	saveScreenshot(t, ctx, "host-page.png")
	t.Logf("screenshot of the host page: artifacts/host-page.png")
}

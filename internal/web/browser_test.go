package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/left4me/left4me/internal/auth"
	"github.com/left4me/left4me/internal/bans"
	"github.com/left4me/left4me/internal/events"
	"github.com/left4me/left4me/internal/fakesrcds"
	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/live"
	"github.com/left4me/left4me/internal/process"
	"github.com/left4me/left4me/internal/schedule"
	"github.com/left4me/left4me/internal/srcds"
	"github.com/left4me/left4me/internal/store"
)

// TestMain lets the process supervisor re-execute this test binary as the
// namespace child that mounts an instance's overlay (non-root runs).
func TestMain(m *testing.M) {
	if spec := os.Getenv(process.ChildEnv); spec != "" {
		process.ChildMain(spec, os.Environ())
	}
	os.Exit(m.Run())
}

// chromiumPath is where Debian's chromium package puts the browser.
const chromiumPath = "/usr/bin/chromium"

// screenshotPath is the instance page's screenshot, relative to the
// repository root (named in the README; CI keeps it as an artifact).
const screenshotPath = "artifacts/instance-page.png"

// realPanel is the panel as `left4me serve` wires it, on loopback: a real
// process supervisor running fakesrcds through the overlay code, the live
// poller, the RCON console and the child's console log.
type realPanel struct {
	url    string
	svc    *instance.Service
	store  *store.Store
	events bool // the events recorder gets the servers' logs
	root   layout.Root
}

func startRealPanel(t *testing.T) *realPanel {
	t.Helper()
	return startRealPanelPolling(t, time.Second)
}

// startRealPanelPolling is startRealPanel with the live poller's periodic
// pass every interval; as in `left4me serve`, a start, stop or restart and
// the servers' log events make it poll at once besides.
func startRealPanelPolling(t *testing.T, interval time.Duration) *realPanel {
	t.Helper()
	if err := process.CanMount(); err != nil {
		t.Skipf("needs overlay mounts (root or user namespaces): %v", err)
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("needs the go tool to build fakesrcds")
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	root, err := layout.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := root.Create(0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "fakesrcds")
	if out, err := exec.Command(goTool, "build", "-o", bin, "github.com/left4me/left4me/cmd/fakesrcds").CombinedOutput(); err != nil {
		t.Fatalf("build fakesrcds: %v\n%s", err, out)
	}
	if err := fakesrcds.WriteInstallation(root.Installation("1"), bin); err != nil {
		t.Fatal(err)
	}
	cfgDir := filepath.Join(root.Overlay("example", "1"), "left4dead2", "cfg")
	if err := os.MkdirAll(cfgDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfgDir, "example.cfg"), []byte("sv_consistency 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, root.Database())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	lg := slog.New(slog.DiscardHandler)
	sup := process.New(process.Config{Root: root, StopTimeout: 5 * time.Second})
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer scancel()
		sup.Shutdown(sctx)
	})
	// The events recorder hears the servers' UDP logs; they need a
	// non-loopback address to send to (srcds drops loopback ones).
	var svc *instance.Service
	var poller *live.Poller
	onEvent := func(e events.Event) { PollOnEvent(poller)(e) }
	rec := events.NewRecorder(events.Config{Bind: "0.0.0.0:0", OnEvent: onEvent}, events.SourcesFunc(func(ctx context.Context, port int) (srcds.LogSource, bool, error) {
		return LogSources(svc)(ctx, port)
	}), st, lg)
	if err := rec.Listen(); err != nil {
		t.Fatal(err)
	}
	logAddr := ""
	if a, err := events.AnnounceAddr(rec.Addr()); err == nil {
		logAddr = a.String()
	} else {
		t.Logf("events feed off: %v", err)
	}
	svc = instance.NewService(instance.Config{Root: root, PortMin: 21000, PortMax: 21999, LogAddress: logAddr, Bans: bans.Stager{Store: st}}, st, sup)
	poller = live.NewPoller(live.Config{Interval: interval}, LiveTargets(svc, sup, testQueryHost()), nil, lg)
	svc.OnRunChange(poller.Changed)
	go rec.Run(ctx)
	go poller.Run(ctx)
	srv, err := New(Config{Store: st, Instances: svc, Logs: sup, States: sup, Live: PollerLive(poller),
		Console: RCONConsole(5 * time.Second), Logger: lg, Root: root, Schedules: schedule.New(schedule.Config{Store: st, Instances: svc}), PublicHost: testPublicHost})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	hash, err := auth.HashPassword("browser-test-pw")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateUser(ctx, "admin", hash, true); err != nil {
		t.Fatal(err)
	}
	return &realPanel{url: ts.URL, svc: svc, store: st, events: logAddr != "", root: root}
}

// newBrowser starts headless Chromium with the flags CI (root, no display) needs.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("needs %s (Debian package chromium; .ci/run installs it): %v", chromiumPath, err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1000),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	bctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	// The first call starts the browser; it must not carry a timeout.
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return bctx
}

// waitText polls the text of sel until it contains want.
// stepper returns a function that runs one named step of browser actions
// within timeout and, when it fails, stops the test with the page's address
// and text.
func stepper(t *testing.T, ctx context.Context, timeout time.Duration) func(name string, actions ...chromedp.Action[chromedp.Void]) {
	return func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			dctx, dcancel := context.WithTimeout(ctx, 5*time.Second)
			defer dcancel()
			loc, _ := chromedp.Run(dctx, chromedp.Location())
			body, _ := chromedp.Run(dctx, chromedp.Text(chromedp.CSS("body")))
			t.Fatalf("%s: %v\nat %s:\n%s", name, err, loc, body)
		}
	}
}

func waitText(sel, want string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		for {
			// A query can fail while the page is being replaced: retry.
			text, err := chromedp.Text(chromedp.CSS(sel))(ctx, t)
			if err == nil && strings.Contains(strings.ToLower(text), strings.ToLower(want)) {
				return chromedp.Void{}, nil
			}
			select {
			case <-ctx.Done():
				return chromedp.Void{}, fmt.Errorf("%s never contained %q; last text %q, error %v", sel, want, text, err)
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
}

// saveScreenshot writes a full-page PNG of the current page next to the
// instance page's screenshot.
func saveScreenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	img, err := chromedp.Run(sctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	out := filepath.Join("..", "..", filepath.Dir(screenshotPath), name)
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, img, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBrowserInstanceLifecycle drives the panel in headless Chromium: log
// in, create an instance, start it, see its players, send an RCON command
// and see the reply, read the followed log, screenshot the page, stop and
// delete it.
func TestBrowserInstanceLifecycle(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium and game servers")
	}
	p := startRealPanel(t)
	ctx := newBrowser(t)
	step := stepper(t, ctx, 45*time.Second)
	step("open the login page",
		chromedp.Navigate(p.url+"/instances"),
		chromedp.WaitVisible(chromedp.ID("username")),
	)
	saveScreenshot(t, ctx, "login-page.png")
	step("log in",
		chromedp.SendKeys(chromedp.ID("username"), "admin"),
		chromedp.SendKeys(chromedp.ID("password"), "browser-test-pw"),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		waitText("h1", "Instances"),
	)
	step("create an instance",
		chromedp.Click(chromedp.CSS(`a[href="/instances/new"]`)),
		chromedp.WaitVisible(chromedp.ID("name")),
		chromedp.SendKeys(chromedp.ID("name"), "browser"),
		chromedp.Click(chromedp.CSS(`input[name=layers][value=example]`)),
		chromedp.SetValue(chromedp.ID("args"), "+map c2m1_highway +maxplayers 8 -fakeplayers 3"),
	)
	saveScreenshot(t, ctx, "create-form.png")
	step("submit the form",
		chromedp.Click(chromedp.CSS(`form button.primary[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-instance="browser"]`)),
		waitText(".flash", "Instance created."),
	)
	step("start it and see players appear",
		chromedp.Click(chromedp.CSS(`button[data-action=start]`)),
		waitText(".flash", "Instance started."),
		waitText("#state", "running"),
		waitText("#players tbody", "Ellie"),
		waitText("#live-summary", "c2m1_highway"),
	)
	step("send an RCON command and see the reply",
		chromedp.SendKeys(chromedp.ID("command"), "status"),
		chromedp.Click(chromedp.CSS(`#rcon-form button[type=submit]`)),
		waitText("#rcon-out", "hostname:"),
		waitText("#rcon-out", "players : 3 humans"),
	)
	step("read the followed log",
		waitText("#log", "Network: IP"),
		waitText("#log-status", "following live"),
		// A command sent now is logged by the server and arrives over the
		// stream. ("status" would not: the console views hide it, as the
		// panel's poller sends it every few seconds; logfilter.go.)
		chromedp.SendKeys(chromedp.ID("command"), "users"),
		chromedp.Click(chromedp.CSS(`#rcon-form button[type=submit]`)),
		waitText("#rcon-out", "users"),
		waitText("#log", `command "users"`),
	)
	if p.events {
		step("see the events feed", waitText("#events", "entered"))
	}
	sctx, scancel := context.WithTimeout(ctx, 30*time.Second)
	shot, err := chromedp.Run(sctx, chromedp.FullScreenshot(100))
	scancel()
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	out := filepath.Join("..", "..", screenshotPath)
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot of the instance page: %s (%d bytes)", screenshotPath, len(shot))
	// The same page on a phone-sized screen.
	pctx, pcancel := context.WithTimeout(ctx, 30*time.Second)
	_, err = chromedp.Run(pctx, chromedp.Steps(
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
		chromedp.Sleep(500*time.Millisecond),
	))
	if err == nil {
		var img []byte
		if img, err = chromedp.Run(pctx, chromedp.FullScreenshot(100)); err == nil {
			err = os.WriteFile(strings.Replace(out, ".png", "-phone.png", 1), img, 0o644)
		}
	}
	if err == nil {
		_, err = chromedp.Run(pctx, chromedp.EmulateReset())
	}
	pcancel()
	if err != nil {
		t.Fatalf("phone screenshot: %v", err)
	}
	step("stop it",
		chromedp.Click(chromedp.CSS(`button[data-action=stop]`)),
		waitText(".flash", "Instance stopped."),
		waitText("#state", "stopped"),
		waitText("#players tbody", "not running"),
	)
	step("see it in the list",
		chromedp.Click(chromedp.CSS(`.crumbs a`)),
		waitText("table.list", "browser"),
	)
	saveScreenshot(t, ctx, "instance-list.png")
	step("delete it",
		chromedp.Click(chromedp.CSS(`th[scope=row] a`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-instance="browser"]`)),
		chromedp.Click(chromedp.CSS(`a.danger-link`)),
		chromedp.WaitVisible(chromedp.ID("confirm")),
		chromedp.SendKeys(chromedp.ID("confirm"), "browser"),
		chromedp.Click(chromedp.CSS(`button.danger[type=submit]`)),
		waitText(".flash", "Instance deleted."),
	)
	if _, err := p.svc.Get(context.Background(), "browser"); !errors.Is(err, instance.ErrNotFound) {
		t.Errorf("instance still exists after delete: %v", err)
	}
}

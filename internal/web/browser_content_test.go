package web

import (
	"context"
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
	"github.com/left4me/left4me/internal/content"
	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/jobs"
	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/live"
	"github.com/left4me/left4me/internal/process"
	"github.com/left4me/left4me/internal/steamcmd"
	"github.com/left4me/left4me/internal/store"
	"github.com/left4me/left4me/internal/workshop"
	"github.com/left4me/left4me/internal/workshop/workshoptest"
)

// contentPanel is the panel as `left4me serve` wires it over an EMPTY
// state root: no installation, no layers. Installs run the stand-in
// steamcmd (which installs fakesrcds), script builds run as plain child
// processes, Workshop items come from the fake Steam server, and the job
// workers run.
type contentPanel struct {
	url   string
	root  layout.Root
	svc   *instance.Service
	steam *workshoptest.Server
}

func startContentPanel(t *testing.T) *contentPanel {
	t.Helper()
	if err := process.CanMount(); err != nil {
		t.Skipf("needs overlay mounts (root or user namespaces): %v", err)
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("needs the go tool to build fakesrcds and the stand-in steamcmd")
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("needs bash for script layers")
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
	bin := t.TempDir()
	srcdsBin, steamBin := filepath.Join(bin, "fakesrcds"), filepath.Join(bin, "steamcmd.sh")
	if out, err := exec.Command(goTool, "build", "-o", srcdsBin, "github.com/left4me/left4me/cmd/fakesrcds").CombinedOutput(); err != nil {
		t.Fatalf("build fakesrcds: %v\n%s", err, out)
	}
	bctx, bcancel := context.WithTimeout(ctx, 5*time.Minute)
	defer bcancel()
	if err := steamcmd.BuildFake(bctx, steamBin); err != nil {
		t.Fatalf("build the stand-in steamcmd: %v", err)
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
	svc := instance.NewService(instance.Config{Root: root, PortMin: 22000, PortMax: 22999}, st, sup)
	poller := live.NewPoller(live.Config{Interval: time.Second}, LiveTargets(svc, sup, testQueryHost()), nil, lg)
	go poller.Run(ctx)

	steam := workshoptest.New(t)
	m, err := jobs.New(ctx, st.DB(), jobs.Config{Workers: 2, PollInterval: 100 * time.Millisecond, FlushInterval: 100 * time.Millisecond}, lg)
	if err != nil {
		t.Fatal(err)
	}
	cs := content.NewService(content.Config{Root: root, Sandbox: content.DevSandbox{}}, st)
	ws := workshop.NewService(workshop.Config{Root: root, API: workshop.NewClient(steam.URL(), steam.Client()),
		Downloader: workshop.NewDownloader(workshop.DownloaderConfig{Root: root, HTTPClient: steam.Client()})}, st)
	runner := func(context.Context) (steamcmd.Runner, error) {
		return steamcmd.Direct{Path: steamBin, Env: []string{"FAKESTEAMCMD_SRCDS=" + srcdsBin, "FAKESTEAMCMD_BUILDID=4242"}}, nil
	}
	if err := content.RegisterJobs(m, cs, runner); err != nil {
		t.Fatal(err)
	}
	if err := workshop.RegisterJobs(m, ws); err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer scancel()
		m.Stop(sctx)
	})
	srv, err := New(Config{Store: st, Instances: svc, Logs: sup, States: sup, Live: PollerLive(poller),
		Console: RCONConsole(5 * time.Second), Logger: lg, Jobs: m, Content: cs, Workshop: ws, Root: root})
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
	return &contentPanel{url: ts.URL, root: root, svc: svc, steam: steam}
}

// TestBrowserEmptyHostToStackedInstance: an operator goes from an empty
// host to a running instance with a Workshop map layer and a script layer
// entirely from the UI: install the game (a job), add a Workshop map (a
// job), create and build a script layer (a job), create an instance that
// stacks both (reordered with the keyboard buttons), start it and see the
// server answer on the map from the Workshop item.
func TestBrowserEmptyHostToStackedInstance(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium and game servers")
	}
	p := startContentPanel(t)
	p.steam.SetItem(workshoptest.Item{ID: 3001, Title: "Fancy Campaign", TimeUpdated: 1700000000,
		Data: workshoptest.MakeVPK(t, "Fancy Addon", "fancy01", "fancy02")})
	ctx := newBrowser(t)
	step := stepper(t, ctx, 90*time.Second)
	step("log in",
		chromedp.Navigate(p.url+"/installation"),
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), "admin"),
		chromedp.SendKeys(chromedp.ID("password"), "browser-test-pw"),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		waitText("h1", "Game installation"),
		waitText("main", "not installed yet"),
	)
	step("install the game and follow the job",
		chromedp.Click(chromedp.ID("install-button")),
		waitText(".flash", "Job queued"),
		waitText("#job-state", "succeeded"),
		waitText("#job-progress", "100%"),
		waitText("#job-log", "fully installed"),
	)
	step("see the generation",
		chromedp.Navigate(p.url+"/installation"),
		waitText("#gens-h", "Generations"),
		waitText("main table", "4242"),
	)
	step("add a Workshop map to a new workshop layer",
		chromedp.Navigate(p.url+"/layers"),
		chromedp.WaitVisible(chromedp.ID("w-id")),
		chromedp.SendKeys(chromedp.ID("w-id"), "wsmaps"),
		chromedp.SendKeys(chromedp.ID("w-refs"), "https://steamcommunity.com/sharedfiles/filedetails/?id=3001"),
		chromedp.Click(chromedp.CSS(`#new-workshop button[type=submit]`)),
		waitText(".flash", "Job queued"),
		waitText("#job-state", "succeeded"),
	)
	step("see the item's addon and maps",
		chromedp.Navigate(p.url+"/layers/wsmaps"),
		waitText("#items", "Fancy Addon"),
		waitText("#items", "fancy01"),
		waitText("#tree", "3001.vpk"),
	)
	saveScreenshot(t, ctx, "workshop-layer-page.png")
	step("create a script layer",
		chromedp.Navigate(p.url+"/layers"),
		chromedp.WaitVisible(chromedp.ID("s-id")),
		chromedp.SendKeys(chromedp.ID("s-id"), "comp"),
		chromedp.SendKeys(chromedp.ID("s-desc"), "competitive settings"),
		chromedp.SetValue(chromedp.ID("s-script"), "set -eu\nmkdir -p \"$OVERLAY/left4dead2/cfg\"\necho 'sv_alltalk 0' > \"$OVERLAY/left4dead2/cfg/comp.cfg\"\necho built comp\n"),
		chromedp.Click(chromedp.CSS(`#new-script button[type=submit]`)),
		waitText(".flash", "Layer created"),
	)
	step("build it",
		chromedp.Click(chromedp.ID("build-button")),
		waitText("#job-state", "succeeded"),
		waitText("#job-log", "built comp"),
	)
	saveScreenshot(t, ctx, "job-page.png")
	step("browse its files",
		chromedp.Navigate(p.url+"/layers/comp"),
		waitText("#tree", "comp.cfg"),
	)
	saveScreenshot(t, ctx, "script-layer-page.png")
	step("view the cfg",
		chromedp.Click(chromedp.CSS(`#tree a[href*="comp.cfg"]`)),
		waitText("#file-text", "sv_alltalk 0"),
	)
	step("see both layers",
		chromedp.Navigate(p.url+"/layers"),
		waitText("#layers", "wsmaps"),
		waitText("#layers", "comp"),
	)
	saveScreenshot(t, ctx, "layers-page.png")
	step("see the jobs",
		chromedp.Navigate(p.url+"/jobs"),
		waitText("table.jobs", "Build layer comp"),
		waitText("table.jobs", "Install / update the game"),
	)
	saveScreenshot(t, ctx, "jobs-page.png")
	step("create an instance stacking both, the map layer moved on top",
		chromedp.Navigate(p.url+"/instances/new"),
		chromedp.WaitVisible(chromedp.ID("name")),
		chromedp.SendKeys(chromedp.ID("name"), "stacked"),
		chromedp.Click(chromedp.CSS(`input[name=layers][value=comp]`)),
		chromedp.Click(chromedp.CSS(`input[name=layers][value=wsmaps]`)),
		chromedp.Click(chromedp.CSS(`button[aria-label="Move wsmaps up"]`)),
		waitText("[data-conflicts]", "No file is provided by more than one"),
		chromedp.SetValue(chromedp.ID("args"), "+map fancy01 +maxplayers 8 -fakeplayers 2"),
	)
	saveScreenshot(t, ctx, "stack-form.png")
	step("submit and start it",
		chromedp.Click(chromedp.CSS(`form button.primary[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-instance="stacked"]`)),
		waitText("#stack", "wsmaps"),
		chromedp.Click(chromedp.CSS(`button[data-action=start]`)),
		waitText(".flash", "Instance started."),
		waitText("#state", "running"),
		waitText("#live-summary", "fancy01"),
	)
	step("the server answers RCON",
		chromedp.SendKeys(chromedp.ID("command"), "status"),
		chromedp.Click(chromedp.CSS(`#rcon-form button[type=submit]`)),
		waitText("#rcon-out", "hostname:"),
	)
	step("the installation page shows the instance on the newest generation",
		chromedp.Navigate(p.url+"/installation"),
		waitText("#inst-h", "Instances"),
		waitText("main", "up to date"),
	)
	saveScreenshot(t, ctx, "installation-page.png")
	in, err := p.svc.Get(context.Background(), "stacked")
	if err != nil || strings.Join(in.Layers, ",") != "wsmaps,comp" {
		t.Fatalf("instance layers = %v, %v; want wsmaps over comp", in.Layers, err)
	}
	envText, err := os.ReadFile(p.root.InstanceEnv("stacked"))
	if err != nil {
		t.Fatal(err)
	}
	iw, ic := strings.Index(string(envText), "/overlays/wsmaps/"), strings.Index(string(envText), "/overlays/comp/")
	if iw < 0 || ic < 0 || iw > ic || !strings.Contains(string(envText), p.root.Installations()) {
		t.Errorf("instance.env does not stack wsmaps over comp over the installation:\n%s", envText)
	}
}

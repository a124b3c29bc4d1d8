package web

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/left4me/left4me/internal/auth"
	"github.com/left4me/left4me/internal/instance"
)

// TestBrowserRoles drives the panel in headless Chromium through sharing
// with roles (internal/roles): an owner who is not a site administrator
// starts its instance, sends an RCON command and shares the instance with
// vera as a viewer and otto as an operator. Vera sees the instance but no
// power button, no console and no history, and her forged start and RCON
// requests are refused. Otto restarts it, but has no Edit or server.cfg
// link and is refused the server.cfg page with the role to ask for.
func TestBrowserRoles(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium and game servers")
	}
	p := startRealPanel(t)
	bg := context.Background()
	hash, err := auth.HashPassword("browser-test-pw")
	if err != nil {
		t.Fatal(err)
	}
	olive, err := p.store.CreateUser(bg, "olive", hash, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"vera", "otto"} {
		if _, err := p.store.CreateUser(bg, name, hash, false); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := p.svc.Create(bg, instance.Spec{Name: "shared", OwnerID: olive.ID, Layers: []string{"example"},
		Args: []string{"+map", "c2m1_highway", "-fakeplayers", "2"}}); err != nil {
		t.Fatal(err)
	}
	ctx := newBrowser(t)
	step := stepper(t, ctx, 45*time.Second)
	login := func(name string) chromedp.Action[chromedp.Void] {
		return chromedp.Steps(
			chromedp.Navigate(p.url+"/login"),
			chromedp.WaitVisible(chromedp.ID("username")),
			chromedp.SendKeys(chromedp.ID("username"), name),
			chromedp.SendKeys(chromedp.ID("password"), "browser-test-pw"),
			chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
			waitText("h1", "Instances"),
			chromedp.Navigate(p.url+"/instances/shared"),
			chromedp.WaitVisible(chromedp.CSS(`[data-instance="shared"]`)),
		)
	}
	logout := chromedp.Steps(
		chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)),
		chromedp.WaitVisible(chromedp.ID("username")),
	)
	check := func(what, js string) chromedp.Action[chromedp.Void] {
		return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
			ok, err := chromedp.Evaluate[bool](js, chromedp.EvalAwaitPromise)(ctx, tg)
			if err == nil && !ok {
				t.Errorf("%s: %s is false", what, js)
			}
			return chromedp.Void{}, err
		}
	}
	// post sends a forged form POST from the page with its CSRF token and
	// answers the status.
	post := func(path, body string) string {
		return `fetch(` + "`" + path + "`" + `, {method: "POST", headers: {"Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded",
			"X-CSRF-Token": document.querySelector('meta[name="csrf-token"]').content}, body: ` + "`" + body + "`" + `}).then(r => r.status)`
	}

	step("the owner logs in, starts the instance and sends a command", login("olive"),
		chromedp.Click(chromedp.CSS(`button[data-action=start]`)),
		waitText("#state", "running"),
		chromedp.SendKeys(chromedp.ID("command"), "users"),
		chromedp.Click(chromedp.CSS(`#rcon-form button[type=submit]`)),
		waitText("#rcon-out", "olive> users"),
	)
	step("the owner, not a site administrator, shares with vera as a viewer",
		chromedp.SendKeys(chromedp.ID("share-user"), "vera"),
		chromedp.SetValue(chromedp.ID("share-role"), "viewer"),
		chromedp.Click(chromedp.CSS(`#share-form button[type=submit]`)),
		waitText(".flash", "Sharing updated."),
		waitText("#shares", "vera"),
	)
	step("and with otto as an operator",
		chromedp.SendKeys(chromedp.ID("share-user"), "otto"),
		chromedp.SetValue(chromedp.ID("share-role"), "operator"),
		chromedp.Click(chromedp.CSS(`#share-form button[type=submit]`)),
		waitText(".flash", "Sharing updated."),
		waitText("#shares", "otto"),
	)
	saveScreenshot(t, ctx, "instance-sharing.png")
	step("the owner logs out", logout)

	step("the viewer sees the instance without power, console or history", login("vera"),
		waitText("#state", "running"),
		waitText("#players tbody", "Ellie"),
		check("no power button", `document.querySelector("button[data-action]") === null`),
		check("no console", `document.getElementById("rcon-form") === null && document.getElementById("rcon-out") === null`),
		check("no history", `!document.body.innerText.includes("olive> users") && !document.body.innerText.includes('command "users"')`),
		check("no sharing", `document.getElementById("sharing") === null`),
		check("a forged stop is refused", post("/instances/shared/stop", "")+` .then(s => s === 403)`),
		check("a forged RCON command is refused", post("/instances/shared/rcon", "command=say%20hi")+` .then(s => s === 403)`),
		check("the RCON history by the API is refused", `fetch("/api/v1/instances/shared/rcon", {headers: {"X-CSRF-Token": document.querySelector('meta[name="csrf-token"]').content}}).then(r => r.status === 403)`),
	)
	saveScreenshot(t, ctx, "instance-viewer.png")
	step("still running after the viewer's requests", chromedp.Navigate(p.url+"/instances/shared"), waitText("#state", "running"))
	step("the viewer logs out", logout)

	step("the operator restarts the instance", login("otto"),
		check("no Edit or server.cfg link", `document.querySelector('a[href$="/edit"]') === null && document.querySelector('a[href$="/cfg"]') === null`),
		check("no reset button", `document.querySelector("button[data-action=reset]") === null`),
		// Ellie plays: the page asks before a restart disconnects her.
		check("the restart will ask first", `(window.confirm = () => true, true)`),
		chromedp.Click(chromedp.CSS(`button[data-action=restart]`)),
		waitText(".flash", "Instance restarted."),
		waitText("#state", "running"),
	)
	step("but may not edit server.cfg",
		chromedp.Navigate(p.url+"/instances/shared/cfg"),
		waitText("body", "ask the owner for the admin role"),
		check("no server.cfg editor", `document.querySelector("textarea") === null`),
		check("a forged server.cfg save is refused", post("/instances/shared/cfg", "server_cfg=hostname%20otto")+` .then(s => s === 403)`),
	)
	if cfg, err := p.svc.ServerCfg(bg, "shared"); err != nil || cfg == "hostname otto" {
		t.Errorf("server.cfg after the operator's refused save: %q, %v", cfg, err)
	}
}

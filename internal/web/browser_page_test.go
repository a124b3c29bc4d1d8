package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/store"
)

// browserLogin logs in through the login form.
func browserLogin(step func(string, ...chromedp.Action[chromedp.Void]), base, user, password string) {
	step("log in",
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), user),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		waitText("h1", "Instances"),
	)
}

// waitJS polls a JavaScript expression until it is true.
func waitJS(expr string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		for {
			ok, err := chromedp.Evaluate[bool](expr)(ctx, t)
			if err == nil && ok {
				return chromedp.Void{}, nil
			}
			select {
			case <-ctx.Done():
				dctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				n, _ := chromedp.Evaluate[int](`document.querySelectorAll("#events li[data-id]").length`)(dctx, t)
				return chromedp.Void{}, fmt.Errorf("never true: %s (last error %v; %d events listed)", expr, err, n)
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
}

// jsDo runs a JavaScript expression as a step.
func jsDo(expr string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Evaluate[bool](expr)(ctx, t)
		return chromedp.Void{}, err
	}
}

// evalString runs a JavaScript expression and returns its string value.
func evalString(t *testing.T, ctx context.Context, expr string) string {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	s, err := chromedp.Run(sctx, chromedp.Evaluate[string](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return s
}

// TestBrowserEventsFeed: the Events card lists the newest events first,
// every time in one format (the viewer's locale, with the date for days
// other than today), filters by kind, loads older events in pages, and
// announces a new event in a live region.
func TestBrowserEventsFeed(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	e := newEnv(t)
	admin := e.user("admin", true)
	e.mustCreate("feed", admin)
	ctx := context.Background()
	// 130 events: yesterday's and today's, players, chat and map changes.
	kinds := []string{"connect", "chat", "map", "disconnect", "team_chat"}
	start := time.Now().Add(-26 * time.Hour)
	for i := range 130 {
		ev := store.Event{Instance: "feed", Kind: kinds[i%len(kinds)], Player: fmt.Sprintf("Player%d", i), At: start.Add(time.Duration(i) * 12 * time.Minute)}
		if ev.Kind == "map" {
			ev.Player, ev.Map = "", fmt.Sprintf("c%dm1", i)
		} else if strings.Contains(ev.Kind, "chat") {
			ev.Text = fmt.Sprintf("line %d", i)
		}
		if _, err := e.st.AddEvent(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	bctx := newBrowser(t)
	step := stepper(t, bctx, 45*time.Second)
	browserLogin(step, e.ts.URL, "admin", "pw-admin-secret")
	step("open the instance page",
		chromedp.Navigate(e.ts.URL+"/instances/feed"),
		chromedp.WaitVisible(chromedp.ID("events")),
	)
	// The newest first, 50 of them, the times in the viewer's format.
	order := evalString(t, bctx, `(() => {
		const ids = [...document.querySelectorAll("#events li[data-id]")].map(li => Number(li.dataset.id));
		const sorted = ids.every((id, i) => i === 0 || ids[i-1] > id);
		return ids.length + " " + sorted + " " + document.querySelector("#events li[data-id] .what").textContent.trim();
	})()`)
	if order != "50 true Player129 line 129" {
		t.Errorf("first page of events: %q, want 50 newest first, Player129's chat on top", order)
	}
	times := evalString(t, bctx, `(() => {
		const bad = [];
		let dated = 0;
		for (const el of document.querySelectorAll("#events time")) {
			const d = new Date(el.getAttribute("datetime"));
			const today = d.toDateString() === new Date().toDateString();
			const want = today ? d.toLocaleTimeString() : d.toLocaleString();
			if (!today) dated++;
			if (el.textContent !== want) bad.push(el.textContent + " != " + want);
		}
		return bad.length ? bad.join("; ") : "ok";
	})()`)
	if times != "ok" {
		t.Errorf("event times not in the viewer's format: %s", times)
	}
	step("load older events",
		chromedp.Click(chromedp.ID("events-older")),
		waitJS(`document.querySelectorAll("#events li[data-id]").length === 100`),
		chromedp.Click(chromedp.ID("events-older")),
		waitJS(`document.querySelectorAll("#events li[data-id]").length === 130`),
		waitJS(`document.querySelector(".events .older").hidden`),
	)
	// Yesterday's events carry their date.
	if got := evalString(t, bctx, `(() => { const el = document.querySelector("#events li:last-child time"); return el.textContent === new Date(el.getAttribute("datetime")).toLocaleString() ? "dated" : el.textContent; })()`); got != "dated" {
		t.Errorf("the oldest event's time %q has no date", got)
	}
	step("filter: chat only",
		chromedp.SetValue(chromedp.ID("event-kind"), "chat,team_chat"),
		jsDo(`document.getElementById("event-kind").dispatchEvent(new Event("change"))`),
		waitJS(`document.querySelectorAll("#events li[data-id]").length === 50`),
	)
	kindsShown := evalString(t, bctx, `[...new Set([...document.querySelectorAll("#events li[data-id] .kind")].map(k => k.textContent))].sort().join(",")`)
	if kindsShown != "chat,team_chat" {
		t.Errorf("chat filter shows kinds %q", kindsShown)
	}
	step("older chat", chromedp.Click(chromedp.ID("events-older")),
		waitJS(`document.querySelectorAll("#events li[data-id]").length === 52`))
	if got := evalString(t, bctx, `location.search`); got != "?kind=chat%2Cteam_chat" {
		t.Errorf("the filter is not in the address (for reload and sharing): %q", got)
	}
	step("a new chat line is listed on top and announced",
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := e.st.AddEvent(ctx, store.Event{Instance: "feed", Kind: "chat", Player: "Zoey", Text: "new one"})
			return err
		}),
		waitText("#events li:first-child", "Zoey new one"),
		waitText("#events-news", "Zoey new one"),
	)
	if live := evalString(t, bctx, `document.getElementById("events-news").getAttribute("aria-live")`); live != "polite" {
		t.Errorf("events-news aria-live %q", live)
	}
	step("a map change is left out while chat is chosen",
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := e.st.AddEvent(ctx, store.Event{Instance: "feed", Kind: "map", Map: "c9m9_never"})
			if err != nil {
				return err
			}
			_, err = e.st.AddEvent(ctx, store.Event{Instance: "feed", Kind: "chat", Player: "Louis", Text: "after the map"})
			return err
		}),
		waitText("#events li:first-child", "Louis after the map"),
	)
	if strings.Contains(evalString(t, bctx, `document.getElementById("events").textContent`), "c9m9_never") {
		t.Error("the chat filter shows a map change")
	}
	saveScreenshot(t, bctx, "instance-events.png")
}

// TestBrowserRestartConfirmsWithPlayers: with players on the stand-in
// server, Restart and Reset ask first and say how many players they
// disconnect; declining does nothing, and the header, the Players card and
// the list agree on the state.
func TestBrowserRestartConfirmsWithPlayers(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium and game servers")
	}
	p := startRealPanel(t)
	ctx := context.Background()
	admin, err := p.store.UserByName(ctx, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.svc.Create(ctx, instance.Spec{Name: "crowd", OwnerID: admin.ID, Layers: []string{"example"},
		Args: []string{"+map", "c2m1_highway", "+maxplayers", "8", "-fakeplayers", "3"}}); err != nil {
		t.Fatal(err)
	}
	bctx := newBrowser(t)
	step := stepper(t, bctx, 45*time.Second)
	browserLogin(step, p.url, "admin", "browser-test-pw")
	step("open the stopped instance",
		chromedp.Navigate(p.url+"/instances/crowd"),
		waitText("#state", "stopped"),
		waitText("#live-summary", "not running"),
	)
	step("start it: the cards follow the header",
		chromedp.Click(chromedp.CSS(`button[data-action=start]`)),
		waitText(".flash", "Instance started."),
		waitText("#state", "running"),
	)
	// From now on the Players card never says "not running" while the header says running.
	if s := evalString(t, bctx, `document.getElementById("live-summary").textContent`); strings.Contains(s, "not running") {
		t.Errorf("header running, Players card %q", s)
	}
	step("players appear", waitText("#live-summary", "3/8"), waitJS(`document.querySelector("[data-instance]").dataset.humans === "3"`))
	// The dialog is the browser's; record its text and answer "no".
	step("restart asks, naming the players",
		jsDo(`(window.asked = [], window.confirm = (m) => { window.asked.push(m); return false; }, true)`),
		chromedp.Click(chromedp.CSS(`button[data-action=restart]`)),
		waitJS(`window.asked.length === 1`),
	)
	if got := evalString(t, bctx, `window.asked[0]`); !strings.Contains(got, "Restart crowd?") || !strings.Contains(got, "3 players are online and will be disconnected") {
		t.Errorf("restart confirmation %q", got)
	}
	step("reset asks too, once",
		chromedp.Click(chromedp.CSS(`button[data-action=reset]`)),
		waitJS(`window.asked.length >= 2`),
	)
	if n := evalString(t, bctx, `String(window.asked.length)`); n != "2" {
		t.Errorf("restart and reset asked %s times, want once each", n)
	}
	if got := evalString(t, bctx, `window.asked[1]`); !strings.HasPrefix(got, "Reset crowd? 3 players are online and will be disconnected. It stops the server and empties its writable layer") {
		t.Errorf("reset confirmation %q", got)
	}
	if got := evalString(t, bctx, `String(document.querySelector(".flash")?.textContent || "")`); strings.Contains(got, "restarted") || strings.Contains(got, "reset") {
		t.Errorf("declined action happened: %q", got)
	}
	step("stop asks nothing and stops",
		chromedp.Click(chromedp.CSS(`button[data-action=stop]`)),
		waitText(".flash", "Instance stopped."),
		waitText("#state", "stopped"),
		waitText("#live-summary", "not running"),
	)
	if n := evalString(t, bctx, `String(window.asked ? window.asked.length : 0)`); n != "0" {
		t.Errorf("stop asked %s times (a new page: nothing recorded)", n)
	}
	step("restart of a stopped server with nobody on asks nothing",
		jsDo(`(window.asked = [], window.confirm = (m) => { window.asked.push(m); return false; }, true)`),
		chromedp.Click(chromedp.CSS(`button[data-action=restart]`)),
		waitText(".flash", "Instance restarted."),
		waitText("#state", "running"),
	)
}

// TestBrowserPhoneInstanceList: on a 390 px wide phone the instance list
// shows every column of every row, each cell whole (nothing cut off, no
// sideways scrolling), and the screenshot is artifacts/instance-list-phone.png.
func TestBrowserPhoneInstanceList(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	e := newEnv(t)
	admin := e.user("admin", true)
	for _, n := range []string{"versus-competitive-long-name", "coop"} {
		e.mustCreate(n, admin)
	}
	if err := e.sup.set("coop", instance.Running); err != nil {
		t.Fatal(err)
	}
	e.srv.cfg.Live = liveFunc(func(name string) (LiveState, bool) {
		return LiveState{Online: true, Map: "c1m1_hotel_with_a_long_map_name", Humans: 2, MaxPlayers: 8, UpdatedAt: time.Now(),
			Players: []LivePlayer{
				{Name: "Ellis with a rather long player name", SteamID: "STEAM_1:0:1", Score: 12345, Connected: 3*time.Hour + 5*time.Minute, Ping: 999},
				{Name: "Nick", SteamID: "STEAM_1:0:2", Score: 3, Connected: 90 * time.Second, Ping: 40},
			}}, name == "coop"
	})
	bctx := newBrowser(t)
	step := stepper(t, bctx, 45*time.Second)
	step("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	browserLogin(step, e.ts.URL, "admin", "pw-admin-secret")
	step("the list", waitText("table.list", "coop"), waitText("table.list", "c1m1_hotel"))
	report := evalString(t, bctx, `(() => {
		const problems = [];
		const vw = document.documentElement.clientWidth;
		if (document.documentElement.scrollWidth > vw) problems.push("page scrolls sideways: " + document.documentElement.scrollWidth + " > " + vw);
		const wrap = document.querySelector(".table-wrap");
		if (wrap.scrollWidth > wrap.clientWidth) problems.push("table scrolls sideways: " + wrap.scrollWidth + " > " + wrap.clientWidth);
		const heads = [...document.querySelectorAll("table.list thead th")].map(th => th.textContent.trim());
		for (const tr of document.querySelectorAll("table.list tbody tr")) {
			const cells = [...tr.children];
			if (cells.length !== heads.length) problems.push(tr.dataset.name + ": " + cells.length + " cells for " + heads.length + " columns");
			cells.forEach((c, i) => {
				const r = c.getBoundingClientRect();
				const label = i === 0 ? "" : (c.dataset.label || "");
				if (i > 0 && label !== heads[i]) problems.push(tr.dataset.name + " column " + heads[i] + ": label " + JSON.stringify(label));
				if (r.width === 0 || r.height === 0) problems.push(tr.dataset.name + " " + heads[i] + ": hidden");
				if (r.left < 0 || r.right > vw + 0.5) problems.push(tr.dataset.name + " " + heads[i] + ": outside the screen (" + r.left + "–" + r.right + ")");
				if (c.scrollWidth > c.clientWidth) problems.push(tr.dataset.name + " " + heads[i] + ": cut off (" + c.scrollWidth + " > " + c.clientWidth + ")");
			});
		}
		return problems.length ? problems.join("\n") : "ok";
	})()`)
	if report != "ok" {
		t.Errorf("instance list at 390 px:\n%s", report)
	}
	sctx, cancel := context.WithTimeout(bctx, 30*time.Second)
	img, err := chromedp.Run(sctx, chromedp.FullScreenshot(100))
	cancel()
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	out := filepath.Join("..", "..", "artifacts", "instance-list-phone.png")
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, img, 0o644); err != nil {
		t.Fatal(err)
	}
	// The instance page on the phone: the Events card comes right after the players.
	step("the instance page", chromedp.Navigate(e.ts.URL+"/instances/coop"), chromedp.WaitVisible(chromedp.ID("events")))
	if got := evalString(t, bctx, `(() => {
		const top = (sel) => document.querySelector(sel).getBoundingClientRect().top;
		return top(".players") < top(".events") && top(".events") < top(".details") && top(".events") < top(".log") ? "ok" : "players " + top(".players") + ", events " + top(".events") + ", details " + top(".details");
	})()`); got != "ok" {
		t.Errorf("on a phone the Events card is not right after the players: %s", got)
	}
	// The players: every value whole and on the screen, score, time and ping in that order.
	if got := evalString(t, bctx, `(() => {
		const problems = [];
		const vw = document.documentElement.clientWidth;
		for (const tr of document.querySelectorAll("#players tbody tr")) {
			const cells = [...tr.children];
			for (const c of cells) {
				const r = c.getBoundingClientRect();
				if (r.right > vw + 0.5 || c.scrollWidth > c.clientWidth) problems.push(c.textContent.trim() + ": cut off");
			}
			const x = (label) => cells.find(c => c.dataset.label === label).getBoundingClientRect().left;
			if (!(x("Score") < x("Time") && x("Time") < x("Ping"))) problems.push("score, time, ping out of order");
		}
		return problems.length ? problems.join("; ") : "ok";
	})()`); got != "ok" {
		t.Errorf("players at 390 px: %s", got)
	}
	saveScreenshot(t, bctx, "instance-page-phone-events.png")
}

// TestBrowserPhoneLayers: on a 390 px phone the layers list shows every
// column (the newest generation and "used by" were cut off), each whole.
func TestBrowserPhoneLayers(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	ce := newContentEnv(t, false)
	admin := ce.user("admin", true)
	root := ce.as(admin)
	if resp, body := root.post("/layers/script", url.Values{"id": {"competitive-rework-with-a-long-id"}, "script": {"echo hi"},
		"description": {"ZoneMod and confogl with a description long enough to wrap on a phone"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("script layer: %d\n%s", resp.StatusCode, body)
	}
	if _, err := ce.svc.Create(context.Background(), instance.Spec{Name: "versus-with-a-long-name", OwnerID: admin.ID, Layers: []string{"example"}}); err != nil {
		t.Fatal(err)
	}
	bctx := newBrowser(t)
	step := stepper(t, bctx, 45*time.Second)
	step("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	browserLogin(step, ce.ts.URL, "admin", "pw-admin-secret")
	step("the layers", chromedp.Navigate(ce.ts.URL+"/layers"), waitText("#layers", "competitive-rework"))
	report := evalString(t, bctx, `(() => {
		const problems = [];
		const vw = document.documentElement.clientWidth;
		if (document.documentElement.scrollWidth > vw) problems.push("page scrolls sideways");
		const heads = [...document.querySelectorAll("#layers thead th")].map(th => th.textContent.trim());
		for (const tr of document.querySelectorAll("#layers tbody tr")) {
			[...tr.children].forEach((c, i) => {
				const r = c.getBoundingClientRect();
				if (i > 0 && c.dataset.label !== heads[i]) problems.push(tr.dataset.layer + " " + heads[i] + ": no label");
				if (r.width === 0 || r.right > vw + 0.5 || c.scrollWidth > c.clientWidth) problems.push(tr.dataset.layer + " " + heads[i] + ": cut off");
			});
		}
		return problems.length ? problems.join("\n") : "ok";
	})()`)
	if report != "ok" {
		t.Errorf("layers at 390 px:\n%s", report)
	}
	if !strings.Contains(evalString(t, bctx, `document.getElementById("layers").textContent`), "versus-with-a-long-name") {
		t.Error("used by is not shown")
	}
	saveScreenshot(t, bctx, "layers-phone.png")
}

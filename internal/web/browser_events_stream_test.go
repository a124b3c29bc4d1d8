package web

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/left4me/left4me/internal/store"
)

// TestBrowserEventsFollowStream: the Events card of an open instance page
// lists a new event (an RCON command, for an administrator) on top the
// moment it is stored, through the page's one event stream, and one
// stored while the connection was down once it is back, each once; the
// page is not reloaded and never asks the events API for new events.
func TestBrowserEventsFollowStream(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	e := newEnv(t)
	admin := e.user("admin", true)
	e.mustCreate("news", admin)
	ctx := context.Background()
	add := func(ev store.Event) error {
		ev.Instance = "news"
		_, err := e.st.AddEvent(ctx, ev)
		return err
	}
	if err := add(store.Event{Kind: "chat", Player: "Ellis", Text: "first"}); err != nil {
		t.Fatal(err)
	}
	bctx := newBrowser(t)
	step := stepper(t, bctx, 45*time.Second)
	browserLogin(step, e.ts.URL, "admin", "pw-admin-secret")
	step("open the instance page",
		chromedp.Navigate(e.ts.URL+"/instances/news"),
		waitText("#events", "Ellis first"),
		// A page that reloads loses this mark.
		jsDo(`(window.__notReloaded = true)`),
		waitJS(`window.left4meLive && window.left4meLive.readyState === EventSource.OPEN`),
		jsDo(`(window.__events = 0, window.__opens = 0,
			left4meLive.addEventListener("event", () => window.__events++),
			left4meLive.addEventListener("open", () => window.__opens++), true)`),
	)
	step("an RCON command appears on top and is announced",
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			return add(store.Event{Kind: "rcon", Text: "sv_cheats 1"})
		}),
		waitText("#events li:first-child", "rcon sv_cheats 1"),
		waitText("#events-news", "sv_cheats 1"),
	)
	// The connection drops; a map change meanwhile arrives once the
	// browser reconnects, and nothing it had is sent again. Chromium waits
	// about 3 s before it reconnects, long enough for the page's notice
	// (shown after 1 s down) to appear; an observer records that it did.
	step("watch for the stream's notice",
		jsDo(`(window.__noticeShown = "", new MutationObserver(() => {
			const n = document.getElementById("live-status");
			if (n && !n.hidden) window.__noticeShown = n.textContent;
		}).observe(document.getElementById("main"), { subtree: true, childList: true, attributes: true, characterData: true }), true)`),
	)
	e.ts.CloseClientConnections()
	if err := add(store.Event{Kind: "map", Map: "c2m1_highway"}); err != nil {
		t.Fatal(err)
	}
	step("the map change made while disconnected arrives after the reconnect",
		waitJS(`window.__opens >= 1`),
		waitText("#events li:first-child", "map c2m1_highway"),
	)
	if got := evalString(t, bctx, `window.__noticeShown`); !strings.Contains(got, "reconnecting") {
		t.Errorf("while the stream was down the page showed %q, want the reconnecting notice", got)
	}
	step("the notice goes once the stream is back",
		waitJS(`document.getElementById("live-status").hidden === true`),
	)
	if got := evalString(t, bctx, `String(window.__events)`); got != "2" {
		t.Errorf("the stream delivered %s events, want 2 (each new one once, across the reconnect)", got)
	}
	if got := evalString(t, bctx, `[...document.querySelectorAll("#events li")].map(li => li.querySelector(".kind").textContent + " " + li.querySelector(".what").textContent.trim()).join(" | ")`); got != "map c2m1_highway | rcon sv_cheats 1 | chat Ellis first" {
		t.Errorf("events = %q, want the new ones on top and each once", got)
	}
	polls := evalString(t, bctx, `performance.getEntriesByType("resource").map(r => new URL(r.name)).
		filter(u => u.pathname.endsWith("/events")).map(u => u.pathname + u.search).join(" ")`)
	if polls != "" {
		t.Errorf("the Events card asked the events API: %s", polls)
	}
	if evalString(t, bctx, `String(window.__notReloaded === true)`) != "true" {
		t.Error("the page was reloaded")
	}
}

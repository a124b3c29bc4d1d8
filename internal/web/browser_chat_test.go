package web

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/left4me/left4me/internal/store"
)

// TestBrowserChatFollowsStream: the chat card of an open instance page
// shows a new say_team line (name, team, text) and a join the moment they
// are stored, once each, through the page's one event stream, and a line
// said while the connection was down once it is back: the page is not
// reloaded and asks the events API for no chat or joins.
func TestBrowserChatFollowsStream(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	e := newEnv(t)
	admin := e.user("admin", true)
	e.mustCreate("talk", admin)
	ctx := context.Background()
	for _, ev := range []store.Event{
		{Instance: "talk", Kind: "connect", Player: "Ellis", SteamID: "STEAM_1:0:7"},
		{Instance: "talk", Kind: "chat", Player: "Ellis", Team: "Survivor", Text: "first"},
	} {
		if _, err := e.st.AddEvent(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	bctx := newBrowser(t)
	step := stepper(t, bctx, 45*time.Second)
	browserLogin(step, e.ts.URL, "admin", "pw-admin-secret")
	step("open the instance page",
		chromedp.Navigate(e.ts.URL+"/instances/talk"),
		waitText("#chat-lines", "Ellis (Survivor): first"),
		// A page that reloads loses this mark.
		jsDo(`(window.__notReloaded = true)`),
		waitJS(`window.left4meLive && window.left4meLive.readyState === EventSource.OPEN`),
		// Count what the stream delivers, and its reconnects.
		jsDo(`(window.__chatEvents = 0, window.__opens = 0,
			left4meLive.addEventListener("chat", () => window.__chatEvents++),
			left4meLive.addEventListener("open", () => window.__opens++), true)`),
	)
	step("a team line and a join appear on top",
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			if _, err := e.st.AddEvent(ctx, store.Event{Instance: "talk", Kind: "team_chat", Player: "Zoey", SteamID: "STEAM_1:1:9", Team: "Survivor", Text: "behind you"}); err != nil {
				return err
			}
			_, err := e.st.AddEvent(ctx, store.Event{Instance: "talk", Kind: "connect", Player: "Nick", SteamID: "STEAM_1:0:11"})
			return err
		}),
		waitText("#chat-lines li:first-child", "team Zoey (Survivor): behind you"),
		waitText("#join-lines li:first-child", "Nick connected"),
		waitText("#chat-news", "Zoey: behind you"),
	)
	// The connection drops; a line said meanwhile arrives once the browser
	// reconnects, and nothing it already had is sent again (the stream
	// resumes after the Last-Event-ID the browser sends).
	e.ts.CloseClientConnections()
	if _, err := e.st.AddEvent(ctx, store.Event{Instance: "talk", Kind: "chat", Player: "Zoey", Team: "Survivor", Text: "while away"}); err != nil {
		t.Fatal(err)
	}
	step("the line said while disconnected arrives after the reconnect",
		waitJS(`window.__opens >= 1`),
		waitText("#chat-lines li:first-child", "Zoey (Survivor): while away"),
	)
	if got := evalString(t, bctx, `String(window.__chatEvents)`); got != "2" {
		t.Errorf("the stream delivered %s chat events, want 2 (each new line once, across the reconnect)", got)
	}
	if got := evalString(t, bctx, `[...document.querySelectorAll("#chat-lines li")].map(li => li.textContent.slice(li.querySelector("time").textContent.length).trim()).join(" | ")`); got != "Zoey (Survivor): while away | team Zoey (Survivor): behind you | Ellis (Survivor): first" {
		t.Errorf("chat lines = %q, want the new one on top and each once", got)
	}
	if got := evalString(t, bctx, `[...document.querySelectorAll("#join-lines li")].map(li => li.textContent.slice(li.querySelector("time").textContent.length).trim()).join(" | ")`); got != "Nick connected | Ellis connected" {
		t.Errorf("join lines = %q, want the new one on top and each once", got)
	}
	// The page's requests to the events API for chat or joins (the Events
	// card asks for its own kinds, none by default).
	polls := evalString(t, bctx, `performance.getEntriesByType("resource").map(r => new URL(r.name)).
		filter(u => u.pathname.endsWith("/events") && /chat|connect|entered|disconnect/.test(u.searchParams.get("kind") || "")).
		map(u => u.pathname + u.search).join(" ")`)
	if polls != "" {
		t.Errorf("the chat card polled the events API: %s", polls)
	}
	if evalString(t, bctx, `String(window.__notReloaded === true)`) != "true" {
		t.Error("the page was reloaded")
	}
}

package web

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/left4me/left4me/internal/instance"
)

// testPublicHost is the public host the browser tests' panel shows in
// "connect HOST:PORT".
const testPublicHost = "l4d.example.com"

// copySpy records what the page copies, by either path of its copy
// button: the clipboard API (wrapped) or the copy command (its event).
const copySpy = `(() => {
  window.__copied = "";
  if (navigator.clipboard) {
    const orig = navigator.clipboard.writeText.bind(navigator.clipboard);
    navigator.clipboard.writeText = (t) => { window.__copied = t; return orig(t); };
  }
  document.addEventListener("copy", () => { window.__copied = window.__copied || String(document.getSelection()) || document.activeElement.value; }, true);
  return true;
})()`

// TestBrowserConnectLine shows players' address on the instance list and
// the instance page: "connect HOST:PORT" with LEFT4ME_PUBLIC_HOST's host
// and the game port, a copy button that puts exactly that line on the
// clipboard, and a steam://connect link.
func TestBrowserConnectLine(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	p := startRealPanel(t)
	admin, err := p.store.UserByName(context.Background(), "admin")
	if err != nil {
		t.Fatal(err)
	}
	in, err := p.svc.Create(context.Background(), instance.Spec{Name: "conn", OwnerID: admin.ID})
	if err != nil {
		t.Fatal(err)
	}
	addr := testPublicHost + ":" + strconv.Itoa(in.Port)
	ctx := newBrowser(t)
	step := stepper(t, ctx, 45*time.Second)
	step("log in",
		chromedp.Navigate(p.url+"/instances"),
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), "admin"),
		chromedp.SendKeys(chromedp.ID("password"), "browser-test-pw"),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		waitText("h1", "Instances"),
	)
	for _, pg := range []struct{ name, scope string }{
		{"the instance list", `tr[data-name="conn"] .c-connect`},
		{"the instance page", `#connect`},
	} {
		if pg.scope == "#connect" {
			step("open the instance page", chromedp.Navigate(p.url+"/instances/conn"), chromedp.WaitVisible(chromedp.CSS(`[data-instance="conn"]`)))
		}
		step(pg.name+": the connect line", waitText(pg.scope+" code.connect-line", "connect "+addr))
		href, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector(%q).getAttribute("href")`, pg.scope+" a.steam-connect")))
		if err != nil || href != "steam://connect/"+addr {
			t.Errorf("%s: steam link %q (%v), want steam://connect/%s", pg.name, href, err, addr)
		}
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](copySpy)); err != nil {
			t.Fatal(err)
		}
		step(pg.name+": copy", chromedp.Click(chromedp.CSS(pg.scope+" button.copy")), waitText(pg.scope+" button.copy", "Copied"))
		copied, err := chromedp.Run(ctx, chromedp.Evaluate[string](`window.__copied`))
		if err != nil || copied != "connect "+addr {
			t.Errorf("%s: the copy button copied %q (%v), want %q", pg.name, copied, err, "connect "+addr)
		}
	}
}

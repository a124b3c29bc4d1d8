package web

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/left4me/left4me/internal/instance"
)

// TestBrowserClone clones an instance from its page in headless Chromium,
// opens the clone's "What differs" page and saves the source as a
// template; a clone to a name in use is refused with nothing made.
func TestBrowserClone(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	p := startRealPanel(t)
	bg := context.Background()
	admin, err := p.store.UserByName(bg, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.svc.Create(bg, instance.Spec{Name: "orig", OwnerID: admin.ID, Layers: []string{"example"}, ServerCfg: "hostname orig\n"}); err != nil {
		t.Fatal(err)
	}
	ctx := newBrowser(t)
	step := stepper(t, ctx, 45*time.Second)
	step("log in",
		chromedp.Navigate(p.url+"/instances/orig"),
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), "admin"),
		chromedp.SendKeys(chromedp.ID("password"), "browser-test-pw"),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		waitText("h1", "orig"),
		waitText("#copies", "Clone as"),
	)
	step("a clone to the instance's own name is refused",
		chromedp.SetValue(chromedp.ID("clone-name"), "orig"),
		chromedp.Click(chromedp.CSS(`#clone-form button[type=submit]`)),
		waitText("body", "already exists"),
	)
	step("clone it",
		chromedp.Navigate(p.url+"/instances/orig"),
		chromedp.WaitVisible(chromedp.ID("clone-name")),
		chromedp.SetValue(chromedp.ID("clone-name"), "copy"),
		chromedp.Click(chromedp.CSS(`#clone-form button[type=submit]`)),
		waitText("h1", "copy"),
	)
	in, err := p.svc.Get(bg, "copy")
	if err != nil || in.OwnerID != admin.ID {
		t.Fatalf("the clone: %+v, %v", in, err)
	}
	if cfg, _ := p.svc.ServerCfg(bg, "copy"); cfg != "hostname orig\n" {
		t.Errorf("the clone's server.cfg: %q", cfg)
	}
	step("what differs",
		chromedp.Click(chromedp.ID("diff-link")),
		waitText("h1", "What differs in copy"),
	)
	saveScreenshot(t, ctx, "instance-diff.png")
	step("save the source as a template",
		chromedp.Navigate(p.url+"/instances/orig"),
		chromedp.WaitVisible(chromedp.ID("template-name")),
		chromedp.SetValue(chromedp.ID("template-name"), "base"),
		chromedp.Click(chromedp.CSS(`#template-form button[type=submit]`)),
		waitText("#templates", "base"),
	)
	list, err := p.svc.Templates(bg)
	if err != nil || len(list) != 1 || list[0].Source != "orig" {
		t.Fatalf("templates: %+v, %v", list, err)
	}
}

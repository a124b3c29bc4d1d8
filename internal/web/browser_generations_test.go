package web

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/left4me/left4me/internal/instance"
)

// TestBrowserPins pins an instance from its edit form in headless
// Chromium: a missing generation is refused next to the field with
// nothing stored; the kept one is stored and the instance page's
// Generations card shows it (artifacts/instance-pins.png).
func TestBrowserPins(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	p := startRealPanel(t)
	bg := context.Background()
	admin, err := p.store.UserByName(bg, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.svc.Create(bg, instance.Spec{Name: "pinned", OwnerID: admin.ID}); err != nil {
		t.Fatal(err)
	}
	ctx := newBrowser(t)
	step := stepper(t, ctx, 45*time.Second)
	step("log in",
		chromedp.Navigate(p.url+"/instances/pinned/edit"),
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), "admin"),
		chromedp.SendKeys(chromedp.ID("password"), "browser-test-pw"),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("pins")),
	)
	step("a missing generation is refused next to the field",
		chromedp.SetValue(chromedp.ID("pins"), "installation=9"),
		chromedp.Click(chromedp.CSS(`form[action="/instances/pinned/edit"] button[type=submit]`)),
		waitText("#pins-error", `no generation "9"`),
	)
	if in, err := p.svc.Get(bg, "pinned"); err != nil || len(in.Pins) != 0 {
		t.Fatalf("pins after the refused form: %v, %v", in.Pins, err)
	}
	step("pin the kept generation",
		chromedp.SetValue(chromedp.ID("pins"), "installation=1"),
		chromedp.Click(chromedp.CSS(`form[action="/instances/pinned/edit"] button[type=submit]`)),
		waitText("#pinned", "installation"),
		waitText("#pinned", "1"),
	)
	if in, err := p.svc.Get(bg, "pinned"); err != nil || in.Pins["installation"] != "1" {
		t.Fatalf("pins after the form: %v, %v", in.Pins, err)
	}
	saveScreenshot(t, ctx, "instance-pins.png")
}

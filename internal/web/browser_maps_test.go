package web

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/workshop/workshoptest"
)

// TestBrowserMapPicker changes the map from the instance page's picker in
// headless Chromium: a campaign from an addon VPK in the instance's layer
// is offered with its layer, choosing one of its maps and "now" sends the
// changelevel, the real stand-in server (under the process supervisor,
// through the overlay) loads it and the live state shows it; the page is
// saved as artifacts/instance-maps.png.
func TestBrowserMapPicker(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	p := startRealPanel(t)
	bg := context.Background()
	addons := filepath.Join(p.root.Overlay("example", "1"), "left4dead2", "addons")
	if err := os.MkdirAll(addons, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(addons, "fancy.vpk"), workshoptest.MakeVPK(t, "Fancy Campaign", "fancy01", "fancy02"), 0o644); err != nil {
		t.Fatal(err)
	}
	admin, err := p.store.UserByName(bg, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.svc.Create(bg, instance.Spec{Name: "mapper", OwnerID: admin.ID, Layers: []string{"example"}, Args: []string{"-fakemapload", "1"}}); err != nil {
		t.Fatal(err)
	}
	if err := p.svc.Start(bg, "mapper"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.svc.Stop(context.Background(), "mapper") })
	ctx := newBrowser(t)
	step := stepper(t, ctx, 60*time.Second)
	step("log in",
		chromedp.Navigate(p.url+"/instances/mapper"),
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), "admin"),
		chromedp.SendKeys(chromedp.ID("password"), "browser-test-pw"),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		waitText("h1", "mapper"),
		waitText("#live-summary", "c1m1_hotel"),
	)
	step("the layer's campaign is in the picker with its layer",
		chromedp.WaitVisible(chromedp.ID("map-form")),
		chromedp.Click(chromedp.CSS(`#campaigns summary`)),
		waitText(`#campaigns tr.layer-campaign`, "Fancy Campaign"),
		waitText(`#campaigns tr.layer-campaign`, "fancy01, fancy02"),
		waitText(`#campaigns tr.layer-campaign`, "left4dead2/addons/fancy.vpk"),
	)
	step("change the map now",
		chromedp.SetValue(chromedp.ID("map-pick"), "fancy02"),
		chromedp.SetValue(chromedp.ID("map-mode"), "coop"),
		chromedp.SetValue(chromedp.ID("map-when"), "now"),
		chromedp.Click(chromedp.ID("map-submit")),
		waitText(".flash", "Map change sent"),
		waitText("#live-summary", "fancy02"),
	)
	h, err := p.store.ListRCON(bg, "mapper", 0)
	if err != nil || len(h) == 0 || !strings.Contains(h[len(h)-1].Command, "changelevel fancy02") {
		t.Errorf("the console history lacks the changelevel: %+v %v", h, err)
	}
	saveScreenshot(t, ctx, "instance-maps.png")
	t.Logf("screenshot of the map picker: artifacts/instance-maps.png")
}

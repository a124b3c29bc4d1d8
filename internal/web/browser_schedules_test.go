package web

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/left4me/left4me/internal/instance"
)

// TestBrowserSchedules sets a nightly "restart when empty" schedule from
// the instance page in headless Chromium: a bad time is refused next to
// its field with nothing stored, the good one is listed with its next run,
// and the page is saved as artifacts/instance-schedules.png.
func TestBrowserSchedules(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	p := startRealPanel(t)
	bg := context.Background()
	admin, err := p.store.UserByName(bg, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.svc.Create(bg, instance.Spec{Name: "nightly", OwnerID: admin.ID, Layers: []string{"example"}}); err != nil {
		t.Fatal(err)
	}
	ctx := newBrowser(t)
	step := stepper(t, ctx, 45*time.Second)
	step("log in",
		chromedp.Navigate(p.url+"/instances/nightly"),
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), "admin"),
		chromedp.SendKeys(chromedp.ID("password"), "browser-test-pw"),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		waitText("h1", "nightly"),
		waitText("#schedules", "No schedules"),
	)
	step("a cron expression with four fields is refused next to its field",
		chromedp.SetValue(chromedp.ID("sched-when"), "cron 0 4 * *"),
		chromedp.Click(chromedp.CSS(`#schedule-form button[type=submit]`)),
		waitText("#when-error", "cron expression"),
		waitText("#schedules", "No schedules"),
	)
	step("set a nightly restart when empty",
		chromedp.SetValue(chromedp.ID("sched-action"), "restart"),
		chromedp.SetValue(chromedp.ID("sched-when"), "daily 04:30"),
		chromedp.SetValue(chromedp.ID("sched-policy"), "when-empty"),
		chromedp.SetValue(chromedp.ID("sched-max-wait"), "2h"),
		chromedp.SetValue(chromedp.ID("sched-on-timeout"), "skip"),
		chromedp.Click(chromedp.CSS(`#schedule-form button[type=submit]`)),
		waitText(".schedules-list", "daily 04:30"),
		waitText(".schedules-list", "when-empty (up to 2h, then skip)"),
		waitText(".schedules-list", "04:30"),
	)
	list, err := p.store.ListSchedules(bg, "nightly")
	if err != nil || len(list) != 1 || list[0].Action != "restart" || list[0].WhenSpec != "04:30" || list[0].Policy != "when-empty" ||
		list[0].MaxWait != 2*time.Hour || list[0].OnTimeout != "skip" {
		t.Fatalf("stored schedules = %+v (%v), want the one nightly restart", list, err)
	}
	saveScreenshot(t, ctx, "instance-schedules.png")
	t.Logf("screenshot of the instance's schedules: artifacts/instance-schedules.png")
}

package web

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserWebhookAndAudit drives the panel in headless Chromium: log in,
// add a Discord webhook from the webhooks page (the secret is shown once),
// start and stop an instance, and read the audit page with a filter;
// screenshots of both pages go to artifacts/.
func TestBrowserWebhookAndAudit(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	e := newEnv(t)
	admin := e.user("admin", true)
	e.mustCreate("alpha", admin)
	ctx := newBrowser(t)
	step := stepper(t, ctx, 45*time.Second)
	step("log in",
		chromedp.Navigate(e.ts.URL+"/login"),
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), "admin"),
		chromedp.SendKeys(chromedp.ID("password"), "pw-admin-secret"),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		waitText("h1", "Instances"),
	)
	step("add a Discord webhook",
		chromedp.Click(chromedp.CSS(`nav a[href="/admin/webhooks"]`)),
		waitText("h1", "Webhooks"),
		chromedp.SendKeys(chromedp.ID("webhook-url"), "https://discord.com/api/webhooks/1234/browser-token"),
		chromedp.SetValue(chromedp.ID("webhook-format"), "discord"),
		chromedp.Click(chromedp.CSS(`input[name=events][value="instance.crashed"]`)),
		chromedp.Click(chromedp.CSS(`input[name=events][value="instance.frozen"]`)),
		chromedp.Click(chromedp.CSS(`form[action="/admin/webhooks"] button[type=submit]`)),
		waitText(".flash", "shown only now"),
		waitText("#webhook-1", "discord"),
		waitText("#webhook-1", "instance.crashed, instance.frozen"),
	)
	saveScreenshot(t, ctx, "webhooks-page.png")
	hooks, err := e.st.Webhooks(context.Background())
	if err != nil || len(hooks) != 1 || hooks[0].Format != "discord" || len(hooks[0].Events) != 2 {
		t.Fatalf("webhooks stored: %+v, %v", hooks, err)
	}
	step("start and stop an instance",
		chromedp.Navigate(e.ts.URL+"/instances/alpha"),
		chromedp.Click(chromedp.CSS(`button[data-action=start]`)),
		waitText(".flash", "Instance started."),
		chromedp.Click(chromedp.CSS(`button[data-action=stop]`)),
		waitText(".flash", "Instance stopped."),
	)
	step("read the audit page",
		chromedp.Click(chromedp.CSS(`nav a[href="/audit"]`)),
		waitText("h1", "Audit log"),
		waitText("table", "webhooks.create"),
		waitText("table", "instances.start"),
		waitText("table", "https://discord.com/…"),
	)
	saveScreenshot(t, ctx, "audit-page.png")
	step("filter by instance",
		chromedp.SendKeys(chromedp.CSS(`input[name=instance]`), "alpha"),
		chromedp.Click(chromedp.CSS(`form.filters button[type=submit]`)),
		waitLocation("instance=alpha"),
		waitText("table", "instances.stop"),
	)
	if text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("table"))); err == nil && strings.Contains(text, "webhooks.create") {
		t.Errorf("the instance filter still shows the webhook entry:\n%s", text)
	}
}

// waitLocation polls the page's address until it contains want.
func waitLocation(want string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		for {
			loc, err := chromedp.Location()(ctx, t)
			if err == nil && strings.Contains(loc, want) {
				return chromedp.Void{}, nil
			}
			select {
			case <-ctx.Done():
				return chromedp.Void{}, fmt.Errorf("the address never contained %q; last %q, error %v", want, loc, err)
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
}

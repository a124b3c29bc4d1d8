package web

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/left4me/left4me/internal/backup"
)

// TestBrowserBackupDelete clicks a backup's Delete button in headless
// Chromium: the browser's confirmation names the backup and declining it
// deletes nothing; accepting deletes it and the card says so
// (artifacts/instance-backups.png before).
func TestBrowserBackupDelete(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	e := newEnv(t)
	admin := e.user("admin", true)
	e.mustCreate("alpha", admin)
	b, err := e.srv.cfg.Backups.Backup(context.Background(), "alpha", backup.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := newBrowser(t)
	step := stepper(t, ctx, 45*time.Second)
	del := `form[action="/instances/alpha/backups/` + b.File + `/delete"] button[type=submit]`
	step("log in and open the instance",
		chromedp.Navigate(e.ts.URL+"/login"),
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), "admin"),
		chromedp.SendKeys(chromedp.ID("password"), "pw-admin-secret"),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		waitText("h1", "Instances"),
		chromedp.Navigate(e.ts.URL+"/instances/alpha#backups"),
		chromedp.WaitVisible(chromedp.CSS(del)),
	)
	saveScreenshot(t, ctx, "instance-backups.png")
	step("Delete asks, naming the backup; no keeps it",
		jsDo(`(window.asked = [], window.confirm = (m) => { window.asked.push(m); return false; }, true)`),
		chromedp.Click(chromedp.CSS(del)),
		waitJS(`window.asked.length === 1`),
	)
	if got := evalString(t, ctx, `window.asked[0]`); !strings.Contains(got, "Delete the backup "+b.File+"?") {
		t.Errorf("the confirmation %q does not name the backup", got)
	}
	if _, err := os.Stat(b.Path); err != nil {
		t.Fatalf("a declined Delete removed the backup: %v", err)
	}
	step("yes deletes it",
		jsDo(`(window.confirm = () => true, true)`),
		chromedp.Click(chromedp.CSS(del)),
		waitText(".flash", "Backup deleted."),
		chromedp.WaitVisible(chromedp.ID("backups-none")),
	)
	if _, err := os.Stat(b.Path); !os.IsNotExist(err) {
		t.Errorf("the backup is still there after Delete: %v", err)
	}
}

package web

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/rcon"
)

// TestBrowserBan bans a player from the instance page's live player list
// in headless Chromium: the player is dropped from the stand-in server,
// the ban is listed with who, why and until when, and the ban list is
// saved as artifacts/ban-list.png.
func TestBrowserBan(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium and game servers")
	}
	p := startRealPanel(t)
	bg := context.Background()
	admin, err := p.store.UserByName(bg, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.svc.Create(bg, instance.Spec{Name: "arena", OwnerID: admin.ID, Layers: []string{"example"},
		Args: []string{"-fakeplayers", "2"}}); err != nil {
		t.Fatal(err)
	}
	if err := p.svc.Do(bg, instance.Start, "arena"); err != nil {
		t.Fatal(err)
	}
	ctx := newBrowser(t)
	step := stepper(t, ctx, 45*time.Second)
	row := `#moderate tr[data-steamid="STEAM_1:0:1"] `
	step("log in and see the players to kick or ban",
		chromedp.Navigate(p.url+"/instances/arena"),
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), "admin"),
		chromedp.SendKeys(chromedp.ID("password"), "browser-test-pw"),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		waitText("h1", "arena"),
		waitText("#moderate-players", "STEAM_1:0:1"),
		waitText("#moderate-players", "STEAM_1:0:2"),
	)
	step("open Ellie's ban form",
		chromedp.Click(chromedp.CSS(row+`details.ban summary`)),
		chromedp.WaitVisible(chromedp.CSS(row+`details.ban input[name=duration]`)),
		chromedp.ScrollIntoView(chromedp.ID("moderate")),
	)
	saveScreenshot(t, ctx, "instance-kick-ban.png")
	step("ban Ellie for a week from the list",
		chromedp.SetValue(chromedp.CSS(row+`details.ban input[name=duration]`), "7d"),
		chromedp.SetValue(chromedp.CSS(row+`details.ban input[name=reason]`), "griefing the saferoom"),
		chromedp.Click(chromedp.CSS(row+`details.ban button[type=submit]`)),
		waitLocation("banned=STEAM_1%3A0%3A1"),
		waitText("h1", "arena"),
	)
	list, err := p.store.ActiveBans(bg, time.Now())
	if err != nil || len(list) != 1 || list[0].SteamID != "STEAM_1:0:1" || list[0].Reason != "griefing the saferoom" ||
		list[0].ByName != "admin" || list[0].Expires.Before(time.Now().Add(6*24*time.Hour)) {
		t.Fatalf("stored bans = %+v (%v), want admin's week-long ban of STEAM_1:0:1", list, err)
	}
	in, err := p.svc.Get(bg, "arena")
	if err != nil {
		t.Fatal(err)
	}
	entry, err := rcon.New(RCONConsole(5*time.Second), p.svc, p.store, rcon.Policy{}).Send(bg, in, rcon.User{MaySeeSecrets: true}, "status")
	if err != nil || strings.Contains(entry.Response, "STEAM_1:0:1 ") || !strings.Contains(entry.Response, "STEAM_1:0:2") {
		t.Errorf("after the ban the server's status (%v):\n%s", err, entry.Response)
	}
	step("see it on the ban list",
		chromedp.Navigate(p.url+"/bans"),
		waitText("#bans", "STEAM_1:0:1"),
		waitText("#bans", "griefing the saferoom"),
		waitText("#bans", "admin"),
		waitText("#bans", "arena"),
	)
	saveScreenshot(t, ctx, "ban-list.png")
	t.Logf("screenshot of the ban list: artifacts/ban-list.png")
}

package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestAutostartIsAnExplicitSetting: the create and edit forms show the
// autostart setting and save it, Start does not turn it on, the instance
// page shows it, and the API reads and sets it (one rule: the instance
// service's).
func TestAutostartIsAnExplicitSetting(t *testing.T) {
	e := newEnv(t)
	admin := e.quickUser("root", true)
	c := e.as(admin)
	ctx := context.Background()
	autostart := func(name string) bool {
		t.Helper()
		in, err := e.svc.Get(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		return in.Autostart
	}
	if _, page := c.get("/instances/new"); !strings.Contains(page, `name="autostart" value="on" aria-describedby="autostart-help" checked`) {
		t.Error("the new-instance form does not show autostart, on")
	}
	resp, body := c.post("/instances", url.Values{"name": {"quiet"}, "args": {"+map c1m1_hotel"}, "autostart_shown": {"1"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d\n%s", resp.StatusCode, body)
	}
	if autostart("quiet") {
		t.Fatal("created with the box unticked, autostart is on")
	}
	if resp, body := c.post("/instances/quiet/start", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("start: %d\n%s", resp.StatusCode, body)
	}
	if autostart("quiet") {
		t.Error("Start turned autostart on")
	}
	if _, page := c.get("/instances/quiet"); !strings.Contains(page, "off: it stays stopped after a reboot") {
		t.Error("the instance page does not say autostart is off")
	}
	_, page := c.get("/instances/quiet/edit")
	if !strings.Contains(page, `name="autostart" value="on" aria-describedby="autostart-help">`) {
		t.Error("the edit form does not show autostart, off")
	}
	if resp, body := c.post("/instances/quiet/edit", url.Values{"args": {"+map c1m1_hotel"}, "autostart_shown": {"1"}, "autostart": {"on"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: %d\n%s", resp.StatusCode, body)
	}
	if !autostart("quiet") {
		t.Error("the edit form did not turn autostart on")
	}
	// A client posting the edit form without the field keeps the setting.
	if resp, _ := c.post("/instances/quiet/edit", url.Values{"args": {"+map c1m1_hotel"}}); resp.StatusCode != http.StatusSeeOther || !autostart("quiet") {
		t.Error("an edit without the autostart field changed it")
	}
	// The API.
	if resp, body := c.do("PATCH", "/api/v1/instances/quiet", `{"autostart": false}`, nil); resp.StatusCode != http.StatusOK || !strings.Contains(body, `"autostart": false`) {
		t.Fatalf("PATCH autostart: %d\n%s", resp.StatusCode, body)
	}
	if resp, body := c.do("POST", "/api/v1/instances", `{"name": "api", "autostart": false}`, nil); resp.StatusCode != http.StatusCreated || !strings.Contains(body, `"autostart": false`) {
		t.Fatalf("API create: %d\n%s", resp.StatusCode, body)
	}
	if resp, body := c.do("POST", "/api/v1/instances", `{"name": "dflt"}`, nil); resp.StatusCode != http.StatusCreated || !strings.Contains(body, `"autostart": true`) {
		t.Fatalf("API create without autostart: %d\n%s", resp.StatusCode, body)
	}
}

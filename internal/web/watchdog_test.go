package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/views"
)

// TestWatchdogSetting: the watchdog is on for a new instance, set off and
// on through the API and the edit form, and bad input names the field.
func TestWatchdogSetting(t *testing.T) {
	e := newEnv(t)
	u := e.quickUser("alice", false)
	e.mustCreate("alpha", u)
	c := e.as(u)
	watchdogOf := func() bool {
		t.Helper()
		resp, body := c.get("/api/v1/instances/alpha")
		var v views.Instance
		if err := json.Unmarshal([]byte(body), &v); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET alpha = %d %s", resp.StatusCode, body)
		}
		return v.Watchdog
	}
	if !watchdogOf() {
		t.Fatal("a new instance has its watchdog off")
	}
	resp, body := c.do("PATCH", "/api/v1/instances/alpha", `{"watchdog": false}`, nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"watchdog": false`) || watchdogOf() {
		t.Fatalf("PATCH watchdog false = %d %s", resp.StatusCode, body)
	}
	for _, bad := range []string{`"maybe"`, `1`, `"off"`} {
		resp, body = c.do("PATCH", "/api/v1/instances/alpha", `{"watchdog": `+bad+`}`, nil)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `"field": "watchdog"`) ||
			!strings.Contains(body, "true or false") {
			t.Errorf("PATCH watchdog %s = %d %s", bad, resp.StatusCode, body)
		}
	}
	if watchdogOf() {
		t.Error("a refused PATCH changed the setting")
	}
	// The edit form shows the box and sets it; a post without the box's
	// field (an older page, a script) keeps the setting.
	if _, body := c.get("/instances/alpha/edit"); !strings.Contains(body, `name="watchdog"`) {
		t.Error("the edit form has no watchdog box")
	}
	form := url.Values{"port": {""}, "watchdog_shown": {"1"}, "watchdog": {"on"}}
	if resp, body := c.post("/instances/alpha/edit", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit = %d %s", resp.StatusCode, body)
	}
	if !watchdogOf() {
		t.Error("the form's ticked box did not turn the watchdog on")
	}
	if resp, _ := c.post("/instances/alpha/edit", url.Values{"port": {""}}); resp.StatusCode != http.StatusSeeOther || !watchdogOf() {
		t.Error("a post without the box turned the watchdog off")
	}
	if resp, _ := c.post("/instances/alpha/edit", url.Values{"port": {""}, "watchdog_shown": {"1"}}); resp.StatusCode != http.StatusSeeOther || watchdogOf() {
		t.Error("the form's cleared box did not turn the watchdog off")
	}
	if _, body := c.get("/instances/alpha"); !strings.Contains(body, "watchdog off") {
		t.Error("the instance page does not say the watchdog is off")
	}
}

// TestUnhealthyShown: the watchdog's unhealthy mark shows in the API, the
// instance page and the list while the run it was set in lasts.
func TestUnhealthyShown(t *testing.T) {
	e := newEnv(t)
	u := e.quickUser("alice", false)
	e.mustCreate("alpha", u)
	ctx := context.Background()
	if err := e.sup.Start(ctx, "alpha"); err != nil {
		t.Fatal(err)
	}
	const why = "frozen, not restarted: the watchdog restarted it 3 times in the last hour (at most 3)"
	if err := e.st.SetUnhealthy(ctx, "alpha", time.Now(), why); err != nil {
		t.Fatal(err)
	}
	c := e.as(u)
	_, body := c.get("/api/v1/instances/alpha")
	var v views.Instance
	if err := json.Unmarshal([]byte(body), &v); err != nil || !v.Unhealthy || v.UnhealthyReason != why || v.UnhealthySince.IsZero() {
		t.Errorf("API view: %s", body)
	}
	if _, body := c.get("/instances/alpha"); !strings.Contains(body, `id="unhealthy"`) || !strings.Contains(body, why) {
		t.Error("the instance page does not show the mark")
	}
	if _, body := c.get("/instances"); !strings.Contains(body, "data-unhealthy") {
		t.Error("the list does not show the mark")
	}
	// A new run (a restart by anyone) starts healthy.
	if err := e.sup.Restart(ctx, "alpha"); err != nil {
		t.Fatal(err)
	}
	if _, body := c.get("/api/v1/instances/alpha"); !strings.Contains(body, `"unhealthy": false`) {
		t.Errorf("after a restart: %s", body)
	}
}

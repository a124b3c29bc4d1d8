package web

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/views"
)

// TestListCacheShowsChangesAtOnce: the instance lists reuse the instance
// records, but a change through the panel and a start or stop through the
// instance service (a schedule, the watchdog) show in the next list.
func TestListCacheShowsChangesAtOnce(t *testing.T) {
	e := newEnv(t)
	admin := e.quickUser("root", true)
	e.mustCreate("alpha", admin)
	c := e.as(admin)
	list := func() map[string]views.Instance {
		t.Helper()
		_, body := c.get("/api/v1/instances")
		var got struct{ Instances []views.Instance }
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatalf("%v: %s", err, body)
		}
		out := map[string]views.Instance{}
		for _, v := range got.Instances {
			out[v.Name] = v
		}
		return out
	}
	if v := list()["alpha"]; v.WantRunning || v.State != instance.Stopped {
		t.Fatalf("before: %+v", v)
	}
	// Not through the panel: the service tells the cache.
	if err := e.svc.Do(context.Background(), instance.Start, "alpha"); err != nil {
		t.Fatal(err)
	}
	if v := list()["alpha"]; !v.WantRunning || v.State != instance.Running {
		t.Errorf("after a start by the service: want_running %v, state %s", v.WantRunning, v.State)
	}
	// Through the panel: any request that changes something.
	if resp, body := c.do("POST", "/api/v1/instances", `{"name": "beta"}`, nil); resp.StatusCode != 201 {
		t.Fatalf("create beta: %d %s", resp.StatusCode, body)
	}
	if _, ok := list()["beta"]; !ok {
		t.Errorf("a created instance is missing from the next list")
	}
}

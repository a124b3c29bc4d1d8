package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/left4me/left4me/internal/instance"
)

// TestQuotaRefusedThroughFormAndAPI (issue 15, finding 15): an account at
// its limits can create no more instances and start no more servers,
// through the form, the power buttons and the API alike: 403 with a
// message naming the limit, nothing created. The administrator raises the
// limits on the accounts page and the same requests succeed.
func TestQuotaRefusedThroughFormAndAPI(t *testing.T) {
	e := newEnv(t)
	admin := e.quickUser("root", true)
	bob := e.creator("bob")
	ac, bc := e.as(admin), e.as(bob)

	// The admin sets bob's limits on the accounts page: 1 instance, 1 running.
	resp, body := ac.post("/admin/users/"+itoa(bob.ID)+"/limits", url.Values{"max_instances": {"1"}, "max_running": {"1"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("set limits: %d %.300s", resp.StatusCode, body)
	}
	if _, page := ac.get("/admin/users"); !strings.Contains(page, `name="max_instances" value="1"`) {
		t.Errorf("the accounts page does not show bob's limit:\n%.2000s", page)
	}
	// A bad limit names its field and changes nothing.
	resp, body = ac.post("/admin/users/"+itoa(bob.ID)+"/limits", url.Values{"max_instances": {"lots"}, "max_running": {"1"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="max_instances-error"`) {
		t.Errorf("bad limit: %d %.300s", resp.StatusCode, body)
	}
	// Only administrators set limits.
	if resp, _ := bc.post("/admin/users/"+itoa(bob.ID)+"/limits", url.Values{"max_instances": {"unlimited"}}); resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusNotFound {
		t.Errorf("bob sets his own limits: %d", resp.StatusCode)
	}

	if resp, body := bc.post("/instances", url.Values{"name": {"b1"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("first create: %d %.300s", resp.StatusCode, body)
	}
	// The form: 403, the limit named above the form, nothing created.
	resp, body = bc.post("/instances", url.Values{"name": {"b2"}})
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "max instances") {
		t.Errorf("form create past the limit: %d %.500s", resp.StatusCode, body)
	}
	// The API: 403 with the message.
	resp, body = bc.do("POST", "/api/v1/instances", `{"name": "b2"}`, nil)
	var apiErr struct{ Error string }
	if resp.StatusCode != http.StatusForbidden || json.Unmarshal([]byte(body), &apiErr) != nil || !strings.Contains(apiErr.Error, "at most 1 instances (max instances)") {
		t.Errorf("API create past the limit: %d %s", resp.StatusCode, body)
	}
	if _, err := e.svc.Get(context.Background(), "b2"); err == nil {
		t.Error("b2 was created")
	}

	// The admin lets bob own two; he runs one.
	if resp, body := ac.post("/admin/users/"+itoa(bob.ID)+"/limits", url.Values{"max_instances": {"2"}, "max_running": {"1"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("raise: %d %.300s", resp.StatusCode, body)
	}
	if resp, body := bc.do("POST", "/api/v1/instances", `{"name": "b2"}`, nil); resp.StatusCode != http.StatusCreated {
		t.Fatalf("API create after the raise: %d %s", resp.StatusCode, body)
	}
	if resp, body := bc.post("/instances/b1/start", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("start b1: %d %.300s", resp.StatusCode, body)
	}
	resp, body = bc.post("/instances/b2/start", nil)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "max running") {
		t.Errorf("form start past the limit: %d %.500s", resp.StatusCode, body)
	}
	resp, body = bc.do("POST", "/api/v1/instances/b2/start", "", nil)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "at most 1 servers at once (max running)") {
		t.Errorf("API start past the limit: %d %s", resp.StatusCode, body)
	}
	if st, _ := e.sup.Status(context.Background(), "b2"); st.State != instance.Stopped {
		t.Errorf("b2 is %s after the refused starts", st.State)
	}
	// Raised to unlimited, the start goes through.
	if resp, body := ac.post("/admin/users/"+itoa(bob.ID)+"/limits", url.Values{"max_instances": {"2"}, "max_running": {"unlimited"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("raise: %d %.300s", resp.StatusCode, body)
	}
	if resp, body := bc.do("POST", "/api/v1/instances/b2/start", "", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("API start after the raise: %d %s", resp.StatusCode, body)
	}
	// Back to the defaults: the page says so.
	if resp, _ := ac.post("/admin/users/"+itoa(bob.ID)+"/limits", url.Values{"max_instances": {""}, "max_running": {"default"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatal("reset to defaults")
	}
	if _, page := ac.get("/admin/users"); !strings.Contains(page, `placeholder="default (3)"`) {
		t.Errorf("the accounts page does not show the default:\n%.2000s", page)
	}
}

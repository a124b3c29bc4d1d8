package web

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/left4me/left4me/internal/layout"
)

// TestPinsAndRollbackInThePanel: the edit form pins an instance (a missing
// generation is refused naming the field, nothing changed), the instance
// page shows the pin and what a restart would move it to, the
// installation page shows the default and who pins what, and its Make
// default button rolls back.
func TestPinsAndRollbackInThePanel(t *testing.T) {
	ce := newContentEnv(t, false)
	admin := ce.as(ce.quickUser("root", true))
	alice := ce.creator("alice")
	ce.mustCreate("alpha", alice)
	if err := os.MkdirAll(ce.root.Installation("2"), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := ce.svc.Start(ctx, "alpha"); err != nil { // staged on 2
		t.Fatal(err)
	}
	edit := func(pins string) (*http.Response, string) {
		return admin.post("/instances/alpha/edit", url.Values{"port": {""}, "pins": {pins}, "pins_shown": {"1"}})
	}
	resp, body := edit("installation=7")
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="pins-error"`) || !strings.Contains(body, `has no generation &#34;7&#34;`) {
		t.Fatalf("pin to a missing generation: %d\n%s", resp.StatusCode, body)
	}
	if in, _ := ce.svc.Get(ctx, "alpha"); len(in.Pins) != 0 {
		t.Fatalf("pins after a refused edit: %v", in.Pins)
	}
	if resp, body := edit("installation=1"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("pin: %d\n%s", resp.StatusCode, body)
	}
	_, page := admin.get("/instances/alpha")
	if !strings.Contains(page, `id="pinned"`) || !strings.Contains(page, "<code>1</code>") || !strings.Contains(page, "installation 2 → 1") {
		t.Errorf("instance page lacks the pin or the stale line:\n%s", page)
	}
	_, form := admin.get("/instances/alpha/edit")
	if !strings.Contains(form, `value="installation=1"`) {
		t.Errorf("edit form lacks the pins:\n%s", form)
	}
	_, inst := admin.get("/installation")
	if !strings.Contains(inst, "pinned installation=1") {
		t.Errorf("installation page does not show alpha's pin:\n%s", inst)
	}
	if !strings.Contains(inst, `id="default-gen"`) || !strings.Contains(inst, `action="/installation/rollback"`) || !strings.Contains(inst, `id="canary-install"`) {
		t.Errorf("installation page lacks the default, rollback or canary controls:\n%s", inst)
	}
	// Unpin, then roll back to 1 with the button: alpha (on 2) is stale.
	if resp, body := edit(""); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("unpin: %d\n%s", resp.StatusCode, body)
	}
	if resp, body := admin.post("/installation/rollback", url.Values{"generation": {"1"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("rollback: %d\n%s", resp.StatusCode, body)
	}
	if d, _ := layout.Default(ce.root.Installations()); d != "1" {
		t.Errorf("default after the rollback = %q", d)
	}
	if _, page := admin.get("/instances/alpha"); !strings.Contains(page, "installation 2 → 1") {
		t.Errorf("after the rollback the instance page does not say a restart moves it:\n%s", page)
	}
	// Generation 2 is no longer the default: a canary can try it.
	if _, page := admin.get("/installation"); !strings.Contains(page, `id="canary-try"`) || !strings.Contains(page, "<option>2</option>") || !strings.Contains(page, "<option>alpha</option>") {
		t.Errorf("installation page lacks the canary form for generation 2:\n%s", page)
	}
	resp, body = admin.post("/installation/rollback", url.Values{"generation": {"9"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "generation") {
		t.Errorf("rollback to a missing generation: %d\n%s", resp.StatusCode, body)
	}
	if d, _ := layout.Default(ce.root.Installations()); d != "1" {
		t.Errorf("a refused rollback changed the default to %q", d)
	}
}

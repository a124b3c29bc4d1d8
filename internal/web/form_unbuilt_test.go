package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestInstanceFormListsUnbuiltLayers: a layer with no generation yet is on
// the New and Edit forms, disabled, with a link to build it; built layers
// stay choosable.
func TestInstanceFormListsUnbuiltLayers(t *testing.T) {
	ce := newContentEnv(t, false)
	root := ce.as(ce.quickUser("root", true))
	if resp, body := root.post("/layers/script", url.Values{"id": {"fresh"}, "script": {"echo hi"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("script layer: %d\n%s", resp.StatusCode, body)
	}
	ce.mustCreate("vs", ce.quickUser("owner", false))
	for _, path := range []string{"/instances/new", "/instances/vs/edit"} {
		resp, page := root.get(path)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		want := `<input type="checkbox" disabled aria-describedby="unbuilt-fresh"> <span class="layer-id">fresh</span></label> <span class="muted" id="unbuilt-fresh">not built yet — <a href="/layers/fresh">build it</a>`
		if !strings.Contains(page, want) {
			t.Errorf("%s does not list the unbuilt layer disabled with a build link", path)
		}
		if !strings.Contains(page, `name="layers" value="example"`) {
			t.Errorf("%s lost the built layer example", path)
		}
		if strings.Contains(page, `name="layers" value="fresh"`) {
			t.Errorf("%s offers the unbuilt layer as a choice", path)
		}
	}
}

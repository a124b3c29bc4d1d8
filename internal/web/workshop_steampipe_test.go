package web

import (
	"encoding/json"
	"html"
	"net/url"
	"strings"
	"testing"

	"github.com/left4me/left4me/internal/jobs"
	"github.com/left4me/left4me/internal/views"
	"github.com/left4me/left4me/internal/workshop/workshoptest"
)

// TestWorkshopSteamPipeItemFlagged: an item whose details carry no usable
// file_url, added where no steamcmd can fetch it, is not silently missing:
// the job fails naming it, and the layer page and the API show it as not
// in the layer with the reason.
func TestWorkshopSteamPipeItemFlagged(t *testing.T) {
	ce := newContentEnv(t, true)
	c := ce.as(ce.quickUser("root", true))
	ce.steam.SetItem(workshoptest.Item{ID: 1001, Title: "Plain Map", TimeUpdated: 1700000000, Data: workshoptest.MakeVPK(t, "Plain", "plain01")})
	ce.steam.SetItem(workshoptest.Item{ID: 1002, Title: "Pipe Map", TimeUpdated: 1700000000, Data: workshoptest.MakeVPK(t, "Pipe", "pipe01"),
		Hosting: workshoptest.HostSteamPipe})
	resp, body := c.post("/layers/workshop", url.Values{"id": {"wsmaps"}, "refs": {"1001 1002"}})
	id, _ := jobFrom(t, resp, body)
	j := ce.waitJob(t, id)
	if j.State != jobs.StateFailed || len(j.Errors) == 0 || !strings.Contains(j.Errors[len(j.Errors)-1].Error, "item 1002") {
		t.Fatalf("workshop job %s, errors %+v:\n%s", j.State, j.Errors, j.Log)
	}
	_, page := c.get("/layers/wsmaps")
	page = html.UnescapeString(page)
	for _, want := range []string{"not in layer", "item 1002: file_url is empty", "steamcmd is not configured", "left4dead2/addons/1001.vpk"} {
		if !strings.Contains(page, want) {
			t.Errorf("layer page lacks %q", want)
		}
	}
	_, body = c.get("/api/v1/layers/wsmaps")
	var d views.Layer
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	var found bool
	for _, it := range d.Items {
		if it.ID == 1002 {
			found = true
			if it.Revision != "" || !strings.Contains(it.Error, "file_url is empty") || !strings.Contains(it.Error, "steamcmd") {
				t.Errorf("API item 1002 = %+v", it)
			}
		}
	}
	if !found {
		t.Errorf("API layer lacks item 1002: %s", body)
	}
}

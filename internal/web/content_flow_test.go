package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"html"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/jobs"
	"github.com/left4me/left4me/internal/store"
	"github.com/left4me/left4me/internal/workshop/workshoptest"
)

// TestUploadRefusedCreatesNothing: an archive with a path-traversal entry
// is refused with the archive package's reason shown in the form, and no
// layer record or directory is left.
func TestUploadRefusedCreatesNothing(t *testing.T) {
	ce := newContentEnv(t, false)
	c := ce.as(ce.quickUser("root", true))
	tests := []struct {
		name, file string
		data       []byte
		single     bool
		want       string
	}{
		{"traversal", "evil.zip", zipOf(t, map[string]string{"../../evil.cfg": "x"}), false, "unsafe path"},
		{"not an archive", "notes.zip", []byte("just text"), false, "not a zip"},
		{"outside left4dead2", "x.cfg", []byte("x"), true, "inside left4dead2"},
		{"too large", "big.cfg", bytes.Repeat([]byte("x"), 3<<20), true, "larger than the panel accepts"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fields := map[string]string{"id": "evil", "path": "left4dead2/cfg/"}
			if tc.single {
				fields["single"] = "1"
				fields["path"] = "cfg/"
			}
			resp, body := c.upload("/layers/upload", fields, tc.file, tc.data, true)
			want := http.StatusUnprocessableEntity
			if tc.name == "too large" {
				want = http.StatusRequestEntityTooLarge
			}
			if resp.StatusCode != want {
				t.Fatalf("upload = %d, want %d:\n%s", resp.StatusCode, want, body)
			}
			if want == http.StatusUnprocessableEntity && !strings.Contains(body, `id="upload-error"`) || !strings.Contains(strings.ToLower(html.UnescapeString(body)), tc.want) {
				t.Errorf("the page does not show the refusal %q:\n%s", tc.want, body)
			}
			if _, err := ce.cs.Layer(context.Background(), "evil"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("refused upload left a layer record: %v", err)
			}
			if _, err := os.Stat(filepath.Join(ce.root.Overlays(), "evil")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("refused upload left overlays/evil: %v", err)
			}
			if _, err := os.Stat(filepath.Join(ce.root.String(), "evil.cfg")); err == nil {
				t.Error("the traversal entry was written")
			}
		})
	}
}

// TestUploadAndBrowse: an upload layer made from a zip, a second upload
// (a single file) as a new generation, the file browser listing both, a
// text file shown escaped, a download, and paths outside the layer refused.
func TestUploadAndBrowse(t *testing.T) {
	ce := newContentEnv(t, false)
	ctx := context.Background()
	admin := ce.as(ce.quickUser("root", true))
	zipData := zipOf(t, map[string]string{"cfg/up.cfg": "say <script>alert(1)</script>\n", "maps/m.bsp": "BSP"})
	resp, body := admin.upload("/layers/upload", map[string]string{"id": "up", "name": "Uploaded", "path": "left4dead2/"}, "pack.zip", zipData, true)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/layers/up?done=uploaded" {
		t.Fatalf("upload = %d %s:\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	resp, body = admin.upload("/layers/up/upload", map[string]string{"path": "left4dead2/cfg/", "single": "1"}, "second.txt", []byte("two"), true)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("second upload = %d:\n%s", resp.StatusCode, body)
	}
	li, err := ce.cs.Layer(ctx, "up")
	if err != nil || len(li.Generations) != 2 {
		t.Fatalf("layer after two uploads: %+v %v", li, err)
	}
	user := ce.as(ce.quickUser("bob", false))
	_, page := user.get("/layers/up")
	for _, want := range []string{"left4dead2/cfg/up.cfg", "second.txt", "m.bsp", li.Newest} {
		if !strings.Contains(html.UnescapeString(page), want) {
			t.Errorf("layer page lacks %q", want)
		}
	}
	if strings.Contains(page, `action="/layers/up/upload"`) {
		t.Error("a normal user is offered the upload form")
	}
	resp, page = user.get("/layers/up/file?path=left4dead2/cfg/up.cfg")
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") || strings.Contains(page, "<script>alert") {
		t.Errorf("text file view = %d, not escaped:\n%s", resp.StatusCode, page)
	}
	resp, data := user.get("/layers/up/file?path=left4dead2/maps/m.bsp")
	if resp.StatusCode != http.StatusOK || data != "BSP" || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Errorf("download = %d %q %q", resp.StatusCode, data, resp.Header.Get("Content-Disposition"))
	}
	// The first generation does not have the second upload.
	if resp, _ := user.get("/layers/up/file?gen=" + url.QueryEscape(li.Generations[0]) + "&path=left4dead2/cfg/second.txt"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("second.txt in the first generation = %d, want 404", resp.StatusCode)
	}
	for _, bad := range []string{"../../left4me.db", "/etc/passwd", "left4dead2/../../../left4me.db", "left4dead2/cfg", ""} {
		if resp, body := user.get("/layers/up/file?path=" + url.QueryEscape(bad)); resp.StatusCode != http.StatusNotFound {
			t.Errorf("file %q = %d, want 404:\n%.300s", bad, resp.StatusCode, body)
		}
	}
	if resp, _ := user.get("/layers/up/file?gen=nope&path=left4dead2/cfg/up.cfg"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown generation = %d, want 404", resp.StatusCode)
	}
	// A layer made on disk by hand (newEnv's "maps") is browsable too.
	if resp, body := user.get("/layers/maps"); resp.StatusCode != http.StatusOK {
		t.Errorf("on-disk layer page = %d:\n%.300s", resp.StatusCode, body)
	}
	// Delete needs the id typed; then the layer is gone.
	if resp, _ := admin.post("/layers/up/delete", url.Values{"confirm": {"nope"}}); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("delete without confirmation = %d, want 422", resp.StatusCode)
	}
	if resp, _ := admin.post("/layers/up/delete", url.Values{"confirm": {"up"}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("delete = %d", resp.StatusCode)
	}
	if _, err := ce.cs.Layer(ctx, "up"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("layer after delete: %v", err)
	}
}

// TestJobCancel: a running job is cancelled from its page, a queued one
// through the API; both end cancelled.
func TestJobCancel(t *testing.T) {
	ce := newContentEnv(t, true)
	ctx := context.Background()
	admin := ce.quickUser("root", true)
	c := ce.as(admin)
	id, _, err := ce.jobs.Enqueue(ctx, kindBlock, nil, jobs.EnqueueOpts{UserID: admin.ID})
	if err != nil {
		t.Fatal(err)
	}
	for j, _ := ce.jobs.Get(ctx, id); j.State != jobs.StateRunning || !strings.Contains(j.Log, "blocking"); j, _ = ce.jobs.Get(ctx, id) {
		if j.State.Finished() {
			t.Fatalf("blocking job finished: %+v", j)
		}
	}
	_, page := c.get("/jobs/" + itoa(id))
	if !strings.Contains(page, `action="/jobs/`+itoa(id)+`/cancel"`) || !strings.Contains(page, "&lt;b&gt;until&lt;/b&gt;") {
		t.Fatalf("job page lacks the cancel button or the escaped log:\n%s", page)
	}
	resp, page := c.post("/jobs/"+itoa(id)+"/cancel", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Cancel requested") {
		t.Fatalf("cancel = %d:\n%s", resp.StatusCode, page)
	}
	if j := ce.waitJob(t, id); j.State != jobs.StateCancelled {
		t.Errorf("cancelled running job ended %s", j.State)
	}
	// Cancelling again is answered, not an error.
	if resp, body := c.do("POST", "/api/v1/jobs/"+itoa(id)+"/cancel", "", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("second cancel = %d: %s", resp.StatusCode, body)
	}
	// The API lists it with its state.
	if resp, body := c.get("/api/v1/jobs/" + itoa(id)); resp.StatusCode != http.StatusOK || !strings.Contains(body, `"state": "cancelled"`) {
		t.Errorf("API job = %d:\n%s", resp.StatusCode, body)
	}
	if _, body := c.get("/jobs"); !strings.Contains(body, `data-job="`+itoa(id)+`"`) {
		t.Errorf("jobs page lacks job %d", id)
	}
	if _, body := c.get("/jobs?state=cancelled&kind=" + kindBlock); !strings.Contains(body, `data-job="`+itoa(id)+`"`) {
		t.Errorf("jobs filtered on cancelled lack job %d", id)
	}
	if _, body := c.get("/jobs?state=succeeded"); strings.Contains(body, `data-job="`+itoa(id)+`"`) || !strings.Contains(body, "No job matches") {
		t.Errorf("jobs filtered on succeeded list the cancelled job %d", id)
	}
}

// TestDuplicateRefreshAndInstall: a second Workshop refresh or install
// asked for while one is queued shows that job instead of queueing another.
func TestDuplicateRefreshAndInstall(t *testing.T) {
	ce := newContentEnv(t, false)
	c := ce.as(ce.quickUser("root", true))
	for _, path := range []string{"/workshop/refresh", "/installation/install"} {
		resp, body := c.post(path, nil)
		first, done := jobFrom(t, resp, body)
		if done != "queued" {
			t.Errorf("%s: first = %s", path, done)
		}
		resp, body = c.post(path, nil)
		second, done := jobFrom(t, resp, body)
		if done != "dup" || second != first {
			t.Errorf("%s: second click = job %d (%s), want job %d (dup)", path, second, done, first)
		}
		_, page := c.get("/jobs/" + itoa(first) + "?done=dup")
		if !strings.Contains(page, "already queued or running") {
			t.Errorf("%s: the job page does not say it was already queued", path)
		}
	}
}

// TestWorkshopLayerIntoInstance: a Workshop item added from the layers
// page is downloaded by the job workers, its layer is published with the
// addon's title and maps, and an instance stacks it with a script layer
// built by a job; the instance page shows the stack's conflicts.
func TestWorkshopLayerIntoInstance(t *testing.T) {
	ce := newContentEnv(t, true)
	ctx := context.Background()
	rootUser := ce.quickUser("root", true)
	c := ce.as(rootUser)
	ce.steam.SetItem(workshoptest.Item{ID: 1001, Title: "Fancy Campaign", TimeUpdated: 1700000000,
		Data: workshoptest.MakeVPK(t, "Fancy Addon", "fancy01", "fancy02")})
	resp, body := c.post("/layers/workshop", url.Values{"id": {"wsmaps"}, "refs": {"https://steamcommunity.com/sharedfiles/filedetails/?id=1001"}})
	id, _ := jobFrom(t, resp, body)
	if j := ce.waitJob(t, id); j.State != jobs.StateSucceeded {
		t.Fatalf("workshop job %s:\n%s\n%+v", j.State, j.Log, j.Errors)
	}
	_, page := c.get("/layers/wsmaps")
	for _, want := range []string{"Fancy Campaign", "Fancy Addon", "fancy01", "left4dead2/addons/1001.vpk"} {
		if !strings.Contains(html.UnescapeString(page), want) && !strings.Contains(page, want) {
			t.Errorf("workshop layer page lacks %q", want)
		}
	}
	// A script layer whose file clashes with nothing, and one that
	// provides the same addon path (to see a conflict).
	script := "mkdir -p \"$OVERLAY/left4dead2/addons\" \"$OVERLAY/left4dead2/cfg\"\necho 'sv_cheats 0' > \"$OVERLAY/left4dead2/cfg/comp.cfg\"\necho fake > \"$OVERLAY/left4dead2/addons/1001.vpk\"\n"
	resp, body = c.post("/layers/script", url.Values{"id": {"comp"}, "description": {"competitive"}, "script": {script}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create script layer = %d:\n%s", resp.StatusCode, body)
	}
	resp, body = c.post("/layers/comp/build", nil)
	bid, _ := jobFrom(t, resp, body)
	if j := ce.waitJob(t, bid); j.State != jobs.StateSucceeded {
		t.Fatalf("build job %s:\n%s\n%+v", j.State, j.Log, j.Errors)
	}
	// Saving the script and building in one click; an empty script is refused.
	if resp, body := c.post("/layers/comp/script", url.Values{"script": {"  "}}); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "empty") {
		t.Errorf("empty script = %d", resp.StatusCode)
	}
	resp, body = c.post("/layers/comp/script", url.Values{"script": {script + "echo again\n"}, "build": {"1"}})
	bid, _ = jobFrom(t, resp, body)
	if j := ce.waitJob(t, bid); j.State != jobs.StateSucceeded || !strings.Contains(j.Log, "again") {
		t.Fatalf("save-and-build job %s:\n%s", j.State, j.Log)
	}
	_, page = c.get("/layers")
	for _, want := range []string{`data-layer="wsmaps"`, `data-layer="comp"`, "competitive"} {
		if !strings.Contains(page, want) {
			t.Errorf("layers page lacks %q", want)
		}
	}
	// Stack both into a new instance, script layer on top.
	resp, body = c.post("/instances", url.Values{"name": {"stacked"}, "layers": {"comp", "wsmaps"}, "args": {"+map fancy01"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create instance = %d:\n%s", resp.StatusCode, body)
	}
	in, err := ce.svc.Get(ctx, "stacked")
	if err != nil || strings.Join(in.Layers, ",") != "comp,wsmaps" {
		t.Fatalf("instance layers: %+v %v", in.Layers, err)
	}
	_, page = c.get("/instances/stacked")
	if !strings.Contains(page, `id="stack-conflicts"`) || !strings.Contains(page, "left4dead2/addons/1001.vpk</code> from <strong>comp</strong> (hides wsmaps)") {
		t.Errorf("instance page does not show the conflict:\n%s", page)
	}
	if _, page := c.get("/instances/stacked/edit"); !strings.Contains(page, "left4dead2/addons/1001.vpk</code> from <strong>comp</strong>") {
		t.Errorf("edit form does not show the conflict:\n%s", page)
	}
	_, body = c.get("/api/v1/conflicts?layers=wsmaps,comp")
	if !strings.Contains(body, `"winner": "wsmaps"`) {
		t.Errorf("conflicts API, maps on top:\n%s", body)
	}
	// An item taken out of the layer: a new generation without it.
	before, _ := ce.cs.Layer(ctx, "wsmaps")
	if resp, body := c.post("/layers/wsmaps/items/1001/remove", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove item = %d:\n%s", resp.StatusCode, body)
	}
	after, _ := ce.cs.Layer(ctx, "wsmaps")
	if len(after.Generations) != len(before.Generations)+1 {
		t.Errorf("removing an item published %d generations", len(after.Generations)-len(before.Generations))
	}
	if _, page := c.get("/layers/wsmaps"); strings.Contains(page, "1001.vpk") || !strings.Contains(page, "No items yet") {
		t.Errorf("layer page after removing the item still lists it")
	}
	if resp, _ := c.post("/layers/wsmaps/items/1001/remove", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("removing a missing item = %d, want 404", resp.StatusCode)
	}
	// Starting writes the stack, newest generations, into instance.env.
	if err := ce.svc.Start(ctx, "stacked"); err != nil {
		t.Fatal(err)
	}
	envText, err := os.ReadFile(ce.root.InstanceEnv("stacked"))
	if err != nil || !strings.Contains(string(envText), ce.root.Overlays()+"/comp/") || strings.Index(string(envText), "/comp/") > strings.Index(string(envText), "/wsmaps/") {
		t.Errorf("instance.env does not stack comp over maps: %v\n%s", err, envText)
	}
}

// TestRollingRestart: the rolling restart is a job (schedule's
// rolling_restart): a running instance on an older installation generation
// is restarted; a stopped one is left alone; a failure fails the job,
// naming the instance, after those restarted before it.
func TestRollingRestart(t *testing.T) {
	ce := newContentEnv(t, true)
	ctx := context.Background()
	admin := ce.quickUser("root", true)
	c := ce.as(admin)
	ce.mustCreate("run", admin)
	ce.mustCreate("idle", admin)
	for _, n := range []string{"run", "idle"} {
		if err := ce.svc.Start(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	if err := ce.svc.Stop(ctx, "idle"); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(ce.root.Installation("2"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, page := c.get("/installation")
	if !strings.Contains(page, "installation 1 → 2") || !strings.Contains(page, "Rolling restart (1)") {
		t.Fatalf("installation page does not show run as stale:\n%s", page)
	}
	calls := ce.sup.callCount()
	resp, page := c.post("/installation/rolling-restart", nil)
	id, _ := jobFrom(t, resp, page)
	if j := ce.waitJob(t, id); j.State != jobs.StateSucceeded {
		t.Fatalf("rolling restart job %s: %+v", j.State, j.Errors)
	}
	if ce.sup.callCount() == calls {
		t.Error("rolling restart did not reach the supervisor")
	}
	envText, _ := os.ReadFile(ce.root.InstanceEnv("run"))
	if !strings.Contains(string(envText), ce.root.Installation("2")) {
		t.Errorf("run's instance.env after the rolling restart:\n%s", envText)
	}
	envText, _ = os.ReadFile(ce.root.InstanceEnv("idle"))
	if !strings.Contains(string(envText), ce.root.Installation("1")) {
		t.Errorf("idle (stopped) was moved:\n%s", envText)
	}
	resp, page = c.post("/installation/rolling-restart", nil)
	id, _ = jobFrom(t, resp, page)
	if j := ce.waitJob(t, id); j.State != jobs.StateSucceeded {
		t.Errorf("second rolling restart: %s", j.State)
	} else if j, _ := ce.jobs.Get(ctx, id); !strings.Contains(j.Log, "nothing to restart") {
		t.Errorf("second rolling restart's log:\n%s", j.Log)
	}

	// The API queues the same rolling restart. zbroken's layer is gone, so
	// its start fails: run (before it in name order) is restarted, the
	// job fails naming zbroken.
	if err := os.MkdirAll(ce.root.Overlay("maps", "1"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := ce.svc.Create(ctx, instance.Spec{Name: "zbroken", OwnerID: admin.ID, Layers: []string{"maps"}}); err != nil {
		t.Fatal(err)
	}
	if err := ce.svc.Start(ctx, "zbroken"); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(ce.root.Overlays(), "maps")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(ce.root.Installation("3"), 0o755); err != nil {
		t.Fatal(err)
	}
	resp, body := c.do("POST", "/api/v1/installation/rolling-restart", "", nil)
	var q jobQueued
	if err := json.Unmarshal([]byte(body), &q); err != nil || resp.StatusCode != http.StatusAccepted || q.JobID == 0 {
		t.Fatalf("API rolling restart = %d %s (%v)", resp.StatusCode, body, err)
	}
	j := ce.waitJob(t, q.JobID)
	if j.State != jobs.StateFailed || len(j.Errors) == 0 || !strings.Contains(j.Errors[len(j.Errors)-1].Error, "zbroken") {
		t.Errorf("API rolling restart job %s: %+v", j.State, j.Errors)
	}
	envText, _ = os.ReadFile(ce.root.InstanceEnv("run"))
	if !strings.Contains(string(envText), ce.root.Installation("3")) {
		t.Errorf("run's instance.env after the API rolling restart:\n%s", envText)
	}
}

// TestContentAPI drives the content API with an API token: add a Workshop
// item to a layer, follow the job to success, read the layer; a second
// refresh while one is queued is answered as a duplicate.
func TestContentAPI(t *testing.T) {
	ce := newContentEnv(t, true)
	c := ce.as(ce.quickUser("root", true))
	resp, body := c.post("/account/tokens", url.Values{"name": {"ci"}})
	m := newTokenRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("create token = %d:\n%s", resp.StatusCode, body)
	}
	api := ce.newClient()
	api.token = m[1]
	ce.steam.SetItem(workshoptest.Item{ID: 2002, Title: "API Map", TimeUpdated: 1700000001, Data: workshoptest.MakeVPK(t, "API Addon", "apimap")})
	resp, body = api.do("POST", "/api/v1/workshop/items", `{"layer": "apimaps", "refs": ["2002"]}`, nil)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("add = %d:\n%s", resp.StatusCode, body)
	}
	var q jobQueued
	if err := json.Unmarshal([]byte(body), &q); err != nil || q.JobID == 0 {
		t.Fatalf("add answer %q: %v", body, err)
	}
	if j := ce.waitJob(t, q.JobID); j.State != jobs.StateSucceeded {
		t.Fatalf("job %s: %s", j.State, j.Log)
	}
	resp, body = api.get(q.URL)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"state": "succeeded"`) || !strings.Contains(body, `"percent": 100`) {
		t.Errorf("job = %d:\n%s", resp.StatusCode, body)
	}
	resp, body = api.get("/api/v1/layers/apimaps")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"API Addon"`) || !strings.Contains(body, `"apimap"`) {
		t.Errorf("layer = %d:\n%s", resp.StatusCode, body)
	}
	for _, bad := range []string{`{"layer": "apimaps", "refs": []}`, `{"layer": "Bad Id", "refs": ["1"]}`, `{"layer": "x", "refs": ["not-an-id"]}`} {
		if resp, body := api.do("POST", "/api/v1/workshop/items", bad, nil); resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("add %s = %d, want 422:\n%s", bad, resp.StatusCode, body)
		}
	}
	// The workers run, so the first refresh may be over before the second
	// is asked for (TestDuplicateRefreshAndInstall holds them queued); a
	// duplicate must name the first job.
	resp1, b1 := api.do("POST", "/api/v1/workshop/refresh", "", nil)
	resp2, b2 := api.do("POST", "/api/v1/workshop/refresh", "", nil)
	var q1, q2 jobQueued
	json.Unmarshal([]byte(b1), &q1)
	json.Unmarshal([]byte(b2), &q2)
	if resp1.StatusCode != http.StatusAccepted || (q2.Duplicate && q2.JobID != q1.JobID) || (!q2.Duplicate && resp2.StatusCode != http.StatusAccepted) {
		t.Errorf("refresh twice = %d %s, %d %s", resp1.StatusCode, b1, resp2.StatusCode, b2)
	}
}

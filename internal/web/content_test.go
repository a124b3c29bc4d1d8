package web

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/canary"
	"github.com/left4me/left4me/internal/content"
	"github.com/left4me/left4me/internal/jobs"
	"github.com/left4me/left4me/internal/schedule"
	"github.com/left4me/left4me/internal/steamcmd"
	"github.com/left4me/left4me/internal/store"
	"github.com/left4me/left4me/internal/workshop"
	"github.com/left4me/left4me/internal/workshop/workshoptest"
)

// kindBlock is a test job kind that runs until it is cancelled.
const kindBlock = "test_block"

// contentEnv is a panel with the job queue, the content service (builds
// as plain child processes) and the Workshop service against a fake Steam.
type contentEnv struct {
	*env
	jobs  *jobs.Manager
	sched *schedule.Service
	cs    *content.Service
	ws    *workshop.Service
	steam *workshoptest.Server
}

// newContentEnv builds the panel; with workers the job workers run (the
// content, Workshop and kindBlock kinds), otherwise jobs stay queued.
func newContentEnv(t *testing.T, workers bool) *contentEnv {
	t.Helper()
	ce := &contentEnv{steam: workshoptest.New(t)}
	ce.env = newEnvWith(t, func(e *env, cfg *Config) {
		ctx := context.Background()
		m, err := jobs.New(ctx, e.st.DB(), jobs.Config{
			Workers: 2, RetryBase: 10 * time.Millisecond, RetryMax: 50 * time.Millisecond,
			Heartbeat: 100 * time.Millisecond, OrphanAfter: time.Second, RescueGrace: 2 * time.Second,
			FlushInterval: 20 * time.Millisecond, PollInterval: 50 * time.Millisecond,
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		ce.jobs = m
		ce.cs = content.NewService(content.Config{Root: e.root, Sandbox: content.DevSandbox{}}, e.st)
		ce.ws = workshop.NewService(workshop.Config{Root: e.root, API: workshop.NewClient(ce.steam.URL(), ce.steam.Client()),
			Downloader: workshop.NewDownloader(workshop.DownloaderConfig{Root: e.root, HTTPClient: ce.steam.Client()})}, e.st)
		ce.sched = schedule.New(schedule.Config{Store: e.st, Jobs: m, Instances: e.svc,
			Stale: func(ctx context.Context) ([]string, error) { return content.StaleRunning(ctx, e.root, e.svc) }})
		if workers {
			if err := ce.sched.RegisterJobs(); err != nil {
				t.Fatal(err)
			}
			noSteam := func(context.Context) (steamcmd.Runner, error) { return nil, errors.New("no steamcmd in this test") }
			if err := content.RegisterJobs(m, ce.cs, noSteam); err != nil {
				t.Fatal(err)
			}
			if err := workshop.RegisterJobs(m, ce.ws); err != nil {
				t.Fatal(err)
			}
			if err := canary.New(canary.Config{Root: e.root, Instances: e.svc}).RegisterJobs(m); err != nil {
				t.Fatal(err)
			}
			if err := m.Register(kindBlock, func(ctx context.Context, run *jobs.Run) error {
				run.Progress(0.5, "waiting to be cancelled")
				run.Logf("blocking <b>until</b> cancelled")
				<-ctx.Done()
				return ctx.Err()
			}, jobs.KindOptions{MaxAttempts: 1}); err != nil {
				t.Fatal(err)
			}
			if err := m.Start(ctx); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				m.Stop(sctx)
			})
		}
		cfg.Jobs, cfg.Content, cfg.Workshop, cfg.Root, cfg.Schedules = m, ce.cs, ce.ws, e.root, ce.sched
		cfg.MaxUpload = 1 << 20
	})
	return ce
}

// waitJob waits for a job to reach a final state.
func (ce *contentEnv) waitJob(t *testing.T, id int64) jobs.Job {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		j, err := ce.jobs.Get(context.Background(), id)
		if err == nil && j.State.Finished() {
			return j
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("job %d did not finish", id)
	return jobs.Job{}
}

var jobLocation = regexp.MustCompile(`^/jobs/(\d+)\?done=(\w+)$`)

// jobFrom reads the job id and flash of a redirect to a job page.
func jobFrom(t *testing.T, resp *http.Response, body string) (int64, string) {
	t.Helper()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d, want a redirect to a job:\n%s", resp.StatusCode, body)
	}
	m := jobLocation.FindStringSubmatch(resp.Header.Get("Location"))
	if m == nil {
		t.Fatalf("redirect to %q, want a job page", resp.Header.Get("Location"))
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return id, m[2]
}

// upload posts a multipart form with one file.
func (c *client) upload(path string, fields map[string]string, filename string, data []byte, withCSRF bool) (*http.Response, string) {
	c.e.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if withCSRF {
		mw.WriteField("csrf_token", c.csrf)
	}
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", filename)
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest("POST", c.e.ts.URL+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := c.hc.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

func zipOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(files[n]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// contentCase is how the authorisation tests call one content route.
type contentCase struct {
	form url.Values
	// admin: only administrators may call it (403 for others).
	admin bool
}

// contentCases holds a request for every route of the jobs, layers,
// installation and Workshop pages and APIs; TestContentRoutesCovered
// fails when such a route is added without one. {id} is a job id for job
// routes and a layer id for layer routes.
var contentCases = map[string]contentCase{
	"GET /jobs":                                 {},
	"GET /jobs/{id}":                            {},
	"POST /jobs/{id}/cancel":                    {},
	"GET /installation":                         {admin: true},
	"POST /installation/install":                {admin: true},
	"POST /installation/rolling-restart":        {admin: true},
	"GET /layers":                               {},
	"POST /layers/script":                       {admin: true, form: url.Values{"id": {"made"}, "script": {"echo hi"}}},
	"POST /layers/upload":                       {admin: true, form: url.Values{"id": {"made"}}},
	"POST /layers/workshop":                     {admin: true, form: url.Values{"id": {"made"}, "refs": {"1"}}},
	"POST /workshop/refresh":                    {admin: true},
	"GET /layers/{id}":                          {},
	"GET /layers/{id}/file":                     {},
	"POST /layers/{id}/script":                  {admin: true, form: url.Values{"script": {"echo changed"}}},
	"POST /layers/{id}/build":                   {admin: true},
	"POST /layers/{id}/upload":                  {admin: true},
	"POST /layers/{id}/delete":                  {admin: true, form: url.Values{"confirm": {"example"}}},
	"POST /layers/{id}/items/{item}/remove":     {admin: true},
	"GET /api/v1/jobs":                          {},
	"GET /api/v1/jobs/{id}":                     {},
	"POST /api/v1/jobs/{id}/cancel":             {},
	"GET /api/v1/conflicts":                     {},
	"GET /api/v1/layers":                        {},
	"GET /api/v1/layers/{id}":                   {},
	"POST /api/v1/layers/{id}/build":            {admin: true},
	"POST /api/v1/workshop/items":               {admin: true},
	"POST /api/v1/workshop/refresh":             {admin: true},
	"POST /api/v1/installation/install":         {admin: true},
	"POST /api/v1/installation/rolling-restart": {admin: true},
	"POST /installation/rollback":               {admin: true},
	"POST /installation/canary":                 {admin: true},
	"POST /api/v1/installation/rollback":        {admin: true},
	"POST /api/v1/installation/canary":          {admin: true},
}

func isContentRoute(pattern string) bool {
	_, path, _ := strings.Cut(pattern, " ")
	for _, p := range []string{"/jobs", "/layers", "/installation", "/workshop", "/api/v1/jobs", "/api/v1/conflicts",
		"/api/v1/layers", "/api/v1/workshop", "/api/v1/installation"} {
		if path == p || strings.HasPrefix(path, p+"/") {
			return true
		}
	}
	return false
}

func TestContentRoutesCovered(t *testing.T) {
	e := newEnv(t)
	seen := map[string]bool{}
	for _, rt := range e.srv.routes {
		if !isContentRoute(rt.pattern) {
			continue
		}
		seen[rt.pattern] = true
		tc, ok := contentCases[rt.pattern]
		if !ok {
			t.Errorf("content route %q has no case in contentCases", rt.pattern)
			continue
		}
		if tc.admin != (rt.access == adminOnly) {
			t.Errorf("route %q: admin-only is %v in the table, %v in contentCases", rt.pattern, rt.access == adminOnly, tc.admin)
		}
	}
	for p := range contentCases {
		if !seen[p] {
			t.Errorf("contentCases has %q, which is not a route", p)
		}
	}
}

// callContent sends the case's request for pattern; jobID and layer fill {id}.
func (c *client) callContent(pattern string, jobID int64, layer string) (*http.Response, string) {
	method, path, _ := strings.Cut(pattern, " ")
	id := layer
	if strings.Contains(path, "/jobs/") {
		id = strconv.FormatInt(jobID, 10)
	}
	path = strings.NewReplacer("{id}", id, "{item}", "1001").Replace(path)
	if strings.HasSuffix(path, "/file") {
		path += "?path=left4dead2/cfg/example.cfg"
	}
	if method == http.MethodGet {
		return c.get(path)
	}
	f := url.Values{}
	for k, v := range contentCases[pattern].form {
		f[k] = append([]string(nil), v...)
	}
	if strings.HasPrefix(path, "/api/") {
		return c.do(method, path, "{}", nil)
	}
	return c.do(method, path, "", f)
}

// TestContentAuthorisation: a normal user may look at layers and at the
// jobs they asked for; every admin-only content route answers 403 and
// changes nothing; another user's job is invisible (404, like a missing
// one). An administrator gets through every route.
func TestContentAuthorisation(t *testing.T) {
	ce := newContentEnv(t, false)
	ctx := context.Background()
	bob := ce.quickUser("bob", false)
	admin := ce.quickUser("root", true)
	if err := os.MkdirAll(filepath.Join(ce.root.Overlay("example", "1"), "left4dead2", "cfg"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ce.root.Overlay("example", "1"), "left4dead2", "cfg", "example.cfg"), []byte("sv_cheats 0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ce.cs.CreateScript(ctx, store.Layer{ID: "example", Script: "echo hi\n"}); err != nil {
		t.Fatal(err)
	}
	adminJob, _, err := ce.jobs.Enqueue(ctx, content.KindGC, nil, jobs.EnqueueOpts{UserID: admin.ID})
	if err != nil {
		t.Fatal(err)
	}
	bc := ce.as(bob)
	patterns := make([]string, 0, len(contentCases))
	for p := range contentCases {
		patterns = append(patterns, p)
	}
	sort.Strings(patterns)
	for _, p := range patterns {
		t.Run("user/"+p, func(t *testing.T) {
			resp, body := bc.callContent(p, adminJob, "example")
			want := http.StatusOK
			switch {
			case contentCases[p].admin:
				want = http.StatusForbidden
			case strings.Contains(p, "/jobs/{id}"):
				want = http.StatusNotFound // the admin's job
			}
			if resp.StatusCode != want {
				t.Fatalf("bob: %s = %d, want %d:\n%s", p, resp.StatusCode, want, body)
			}
		})
	}
	if _, body := bc.get("/api/v1/jobs"); strings.Contains(body, `"id": `+itoa(adminJob)) {
		t.Errorf("bob's job list shows the admin's job:\n%s", body)
	}
	if j, _ := ce.jobs.Get(ctx, adminJob); j.State != jobs.StateQueued {
		t.Errorf("bob's requests changed the admin's job: %s", j.State)
	}
	if l, err := ce.cs.Layer(ctx, "example"); err != nil || l.Script != "echo hi\n" {
		t.Errorf("bob's requests changed the layer: %+v %v", l, err)
	}
	if _, err := ce.cs.Layer(ctx, "made"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("bob's requests created a layer: %v", err)
	}
	if list, _ := ce.jobs.List(ctx, jobs.Filter{}); len(list) != 1 {
		t.Errorf("bob's requests queued jobs: %d jobs", len(list))
	}

	// The administrator gets through (deleting last).
	rc := ce.as(admin)
	sort.SliceStable(patterns, func(i, j int) bool {
		return !strings.HasSuffix(patterns[i], "/delete") && strings.HasSuffix(patterns[j], "/delete")
	})
	for _, p := range patterns {
		resp, body := rc.callContent(p, adminJob, "example")
		if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusForbidden || resp.StatusCode >= 500 {
			t.Errorf("admin: %s = %d:\n%s", p, resp.StatusCode, body)
		}
	}
}

// TestContentCSRF: every state-changing content route refuses a session
// request without the CSRF token, and nothing happens.
func TestContentCSRF(t *testing.T) {
	ce := newContentEnv(t, false)
	ctx := context.Background()
	admin := ce.quickUser("root", true)
	if _, err := ce.cs.CreateScript(ctx, store.Layer{ID: "example", Script: "echo hi\n"}); err != nil {
		t.Fatal(err)
	}
	jid, _, err := ce.jobs.Enqueue(ctx, content.KindGC, nil, jobs.EnqueueOpts{UserID: admin.ID})
	if err != nil {
		t.Fatal(err)
	}
	c := ce.as(admin)
	for _, rt := range ce.srv.routes {
		if !isContentRoute(rt.pattern) || !stateChanging(strings.Fields(rt.pattern)[0]) {
			continue
		}
		t.Run(rt.pattern, func(t *testing.T) {
			_, path, _ := strings.Cut(rt.pattern, " ")
			id := "example"
			if strings.Contains(path, "/jobs/") {
				id = itoa(jid)
			}
			path = strings.NewReplacer("{id}", id, "{item}", "1001").Replace(path)
			var resp *http.Response
			var body string
			if uploadRoutes[rt.pattern] {
				resp, body = c.upload(path, map[string]string{"id": "made", "single": "1"}, "x.cfg", []byte("x"), false)
			} else {
				f := url.Values{"csrf_token": {"wrong"}}
				for k, v := range contentCases[rt.pattern].form {
					f[k] = v
				}
				resp, body = c.do("POST", path, "", f)
			}
			if resp.StatusCode != http.StatusForbidden {
				t.Fatalf("%s without the CSRF token = %d, want 403:\n%s", rt.pattern, resp.StatusCode, body)
			}
		})
	}
	if list, _ := ce.jobs.List(ctx, jobs.Filter{}); len(list) != 1 || list[0].State != jobs.StateQueued {
		t.Errorf("requests without CSRF token changed the jobs: %+v", list)
	}
	if l, err := ce.cs.Layer(ctx, "example"); err != nil || l.Script != "echo hi\n" {
		t.Errorf("requests without CSRF token changed the layer: %+v %v", l, err)
	}
	if _, err := ce.cs.Layer(ctx, "made"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a request without CSRF token created a layer: %v", err)
	}
}

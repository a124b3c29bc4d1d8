package web

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/backup"
	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/schedule"
	"github.com/left4me/left4me/internal/store"
)

// instanceCase is how the authorisation tests call one instance route.
type instanceCase struct {
	form url.Values // form body (UI routes)
	json string     // JSON body (API routes)
}

// instanceCases holds a request for every route of the table that acts on
// one instance. TestAuthorisationCoversEveryRoute fails when a route is
// added without a case here.
var instanceCases = map[string]instanceCase{
	"GET /instances/{name}":                         {},
	"GET /instances/{name}/edit":                    {},
	"POST /instances/{name}/edit":                   {form: url.Values{"port": {"20500"}, "args": {"+map c5m1_waterfront"}}},
	"POST /instances/{name}/start":                  {},
	"POST /instances/{name}/stop":                   {},
	"POST /instances/{name}/restart":                {},
	"POST /instances/{name}/reset":                  {},
	"GET /instances/{name}/delete":                  {},
	"POST /instances/{name}/delete":                 {form: url.Values{"confirm": {"alpha"}}},
	"GET /instances/{name}/cfg":                     {},
	"POST /instances/{name}/cfg":                    {form: url.Values{"server_cfg": {"hostname hacked"}}},
	"GET /instances/{name}/logs/stream":             {},
	"GET /instances/{name}/live/stream":             {},
	"POST /instances/{name}/rcon":                   {form: url.Values{"command": {"say hello"}}},
	"POST /instances/{name}/map":                    {form: url.Values{"map": {"c2m1_highway"}, "when": {"next-start"}}},
	"GET /api/v1/instances/{name}/maps":             {},
	"POST /api/v1/instances/{name}/map":             {json: `{"map": "c2m1_highway", "when": "next-start"}`},
	"POST /instances/{name}/kick":                   {form: url.Values{"player": {"STEAM_1:0:1"}, "reason": {"bye"}}},
	"POST /api/v1/instances/{name}/kick":            {json: `{"player": "2"}`},
	"POST /instances/{name}/shares":                 {form: url.Values{"user": {"bob"}, "role": {"viewer"}}},
	"POST /instances/{name}/shares/{user}/delete":   {},
	"GET /api/v1/instances/{name}":                  {},
	"PATCH /api/v1/instances/{name}":                {json: `{"port": 20501}`},
	"DELETE /api/v1/instances/{name}":               {},
	"POST /api/v1/instances/{name}/start":           {},
	"POST /api/v1/instances/{name}/stop":            {},
	"POST /api/v1/instances/{name}/restart":         {},
	"POST /api/v1/instances/{name}/reset":           {},
	"GET /api/v1/instances/{name}/cfg":              {},
	"PUT /api/v1/instances/{name}/cfg":              {json: `{"server_cfg": "hostname hacked"}`},
	"GET /api/v1/instances/{name}/live":             {},
	"GET /api/v1/instances/{name}/history":          {},
	"GET /api/v1/instances/{name}/logs":             {},
	"GET /api/v1/instances/{name}/events":           {},
	"GET /api/v1/instances/{name}/rcon":             {},
	"POST /api/v1/instances/{name}/rcon":            {json: `{"command": "say hello"}`},
	"GET /api/v1/instances/{name}/shares":           {},
	"PUT /api/v1/instances/{name}/shares/{user}":    {json: `{"role": "viewer"}`},
	"DELETE /api/v1/instances/{name}/shares/{user}": {},
	"GET /instances/{name}/export.tar":              {},
	"GET /api/v1/instances/{name}/export.tar":       {},

	// The schedules (internal/schedule); {id} is a schedule the test adds.
	"POST /instances/{name}/schedules":               {form: url.Values{"action": {"restart"}, "when": {"daily 04:00"}, "policy": {"when-empty"}}},
	"POST /instances/{name}/schedules/{id}/delete":   {},
	"GET /api/v1/instances/{name}/schedules":         {},
	"POST /api/v1/instances/{name}/schedules":        {json: `{"action": "stop", "when": "weekly sun 05:00"}`},
	"DELETE /api/v1/instances/{name}/schedules/{id}": {},

	// Clone, templates and what differs (clone.go).
	"POST /instances/{name}/clone":           {form: url.Values{"name": {"clonecopy"}}},
	"POST /instances/{name}/template":        {form: url.Values{"template": {"tplcopy"}}},
	"GET /instances/{name}/diff":             {},
	"POST /instances/{name}/revert":          {form: url.Values{"path": {"left4dead2/cfg/server.cfg"}}},
	"POST /api/v1/instances/{name}/clone":    {json: `{"name": "apiclone"}`},
	"GET /api/v1/instances/{name}/diff":      {},
	"POST /api/v1/instances/{name}/revert":   {json: `{"path": "left4dead2/cfg/server.cfg"}`},
	"POST /api/v1/instances/{name}/template": {json: `{"template": "apitpl"}`},
	// The backups (internal/backup): owners and administrators.
	"POST /instances/{name}/backups":                 {},
	"GET /instances/{name}/backups/{file}":           {},
	"POST /instances/{name}/backup-retention":        {form: url.Values{"keep_daily": {"3"}, "keep_weekly": {"2"}}},
	"GET /api/v1/instances/{name}/backups":           {},
	"POST /api/v1/instances/{name}/backups":          {},
	"GET /api/v1/instances/{name}/backups/{file}":    {},
	"POST /instances/{name}/backups/{file}/delete":   {},
	"DELETE /api/v1/instances/{name}/backups/{file}": {},
	"PUT /api/v1/instances/{name}/backup-retention":  {json: `{"keep_daily": 3}`},
}

// scheduleFor adds a schedule to instance name for a route that names one
// ({id}) and returns its id ("999999" when name has none to add to).
func (c *client) scheduleFor(name string) string {
	if s := c.e.srv.cfg.Schedules; s != nil {
		sc, err := s.Add(context.Background(), name, schedule.Spec{Action: "restart", When: "04:00"}, schedule.User{})
		if err == nil {
			return strconv.FormatInt(sc.ID, 10)
		}
	}
	return "999999"
}

// backupFor makes a backup of instance name for a route that names one
// ({file}) and returns its file name (a missing one when it cannot).
func (c *client) backupFor(name string) string {
	if b := c.e.srv.cfg.Backups; b != nil {
		if info, err := b.Backup(context.Background(), name, backup.Options{}); err == nil {
			return info.File
		}
	}
	return name + "-19700101T000000.000Z-manual.tar.zst"
}

func TestAuthorisationCoversEveryRoute(t *testing.T) {
	e := newEnv(t)
	seen := map[string]bool{}
	for _, rt := range e.srv.routes {
		if !strings.Contains(rt.pattern, "{name}") {
			continue
		}
		seen[rt.pattern] = true
		if rt.access.permission() == "" {
			t.Errorf("route %q acts on an instance but declares no permission (mayView ... mayDelete)", rt.pattern)
		}
		if _, ok := instanceCases[rt.pattern]; !ok {
			t.Errorf("route %q acts on an instance but has no authorisation case in instanceCases", rt.pattern)
		}
	}
	for p := range instanceCases {
		if !seen[p] {
			t.Errorf("instanceCases has %q, which is not a route", p)
		}
	}
}

// call sends the case's request for pattern against instance name; a
// {user} is u (by id on the pages, by name in the API).
func (c *client) call(pattern, name string, u store.User) (*http.Response, string) {
	method, path, _ := strings.Cut(pattern, " ")
	path = strings.ReplaceAll(path, "{name}", name)
	if strings.HasPrefix(path, "/api/") {
		path = strings.ReplaceAll(path, "{user}", u.Name)
	} else {
		path = strings.ReplaceAll(path, "{user}", strconv.FormatInt(u.ID, 10))
	}
	if strings.Contains(path, "{id}") {
		path = strings.ReplaceAll(path, "{id}", c.scheduleFor(name))
	}
	if strings.Contains(path, "{file}") {
		path = strings.ReplaceAll(path, "{file}", c.backupFor(name))
	}
	tc := instanceCases[pattern]
	if strings.HasSuffix(path, "/stream") {
		return c.stream(path)
	}
	if tc.form != nil {
		f := url.Values{}
		for k, v := range tc.form {
			f[k] = append([]string(nil), v...)
		}
		return c.do(method, path, "", f)
	}
	if method == http.MethodPost && !strings.HasPrefix(path, "/api/") {
		return c.do(method, path, "", url.Values{})
	}
	return c.do(method, path, tc.json, nil)
}

// stream opens an event stream, reads its first event and hangs up.
func (c *client) stream(path string) (*http.Response, string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", c.e.ts.URL+path, nil)
	resp, err := c.hc.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	buf := make([]byte, 256)
	n, _ := resp.Body.Read(buf)
	return resp, string(buf[:n])
}

// TestOtherUsersInstanceIsInvisible is the authorisation test of every
// instance route: user B asks for each of user A's instance routes and gets
// the same 404 as for a missing instance, and nothing about A's instance
// changes. Then A gets through every route, sharing included.
func TestOtherUsersInstanceIsInvisible(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// alice may create instances, without a limit: the owner's clone of
	// alpha is a create of hers (clone.go).
	alice := e.creator("alice")
	unlimited := instance.Unlimited
	if err := e.st.SetLimits(ctx, alice.ID, store.Limits{MaxInstances: &unlimited, MaxRunning: &unlimited}); err != nil {
		t.Fatal(err)
	}
	bob := e.quickUser("bob", false)
	e.mustCreate("alpha", alice)
	if err := e.svc.Start(ctx, "alpha"); err != nil {
		t.Fatal(err)
	}
	before, _ := e.svc.Get(ctx, "alpha")
	calls := e.sup.callCount()
	b := e.as(bob)
	schedulesBefore, _ := e.st.ListSchedules(ctx, "alpha")

	patterns := make([]string, 0, len(instanceCases))
	for p := range instanceCases {
		patterns = append(patterns, p)
	}
	sort.Strings(patterns)
	for _, p := range patterns {
		t.Run("B/"+p, func(t *testing.T) {
			resp, body := b.call(p, "alpha", bob)
			want := http.StatusNotFound
			if resp.StatusCode != want {
				t.Fatalf("bob: %s = %d, want %d:\n%s", p, resp.StatusCode, want, body)
			}
			if strings.Contains(body, before.RCONPassword) || strings.Contains(body, "log line of alpha") {
				t.Fatalf("bob: %s leaks alpha's data:\n%s", p, body)
			}
			// A missing instance answers exactly the same.
			if want == http.StatusNotFound {
				resp2, _ := b.call(p, "no-such-instance", bob)
				if resp2.StatusCode != resp.StatusCode {
					t.Errorf("bob: %s on a missing instance = %d, on alpha = %d", p, resp2.StatusCode, resp.StatusCode)
				}
			}
		})
	}
	after, err := e.svc.Get(ctx, "alpha")
	if err != nil {
		t.Fatalf("alpha after bob's requests: %v", err)
	}
	if after.Port != before.Port || strings.Join(after.Args, " ") != strings.Join(before.Args, " ") {
		t.Errorf("bob changed alpha: %+v -> %+v", before, after)
	}
	if cfg, _ := e.svc.ServerCfg(ctx, "alpha"); cfg != "hostname alpha\n" {
		t.Errorf("bob changed server.cfg to %q", cfg)
	}
	if e.sup.callCount() != calls {
		t.Errorf("bob's requests reached the supervisor %d times", e.sup.callCount()-calls)
	}
	if h, _ := e.st.ListRCON(ctx, "alpha", 0); len(h) != 0 {
		t.Errorf("bob's RCON commands were recorded: %+v", h)
	}
	if sh, _ := e.st.InstanceShares(ctx, "alpha"); len(sh) != 0 {
		t.Errorf("bob shared alpha: %+v", sh)
	}
	// The test itself added one schedule for each route naming one; bob
	// added and removed none.
	if sc, _ := e.st.ListSchedules(ctx, "alpha"); len(sc) != len(schedulesBefore)+2 {
		t.Errorf("bob changed alpha's schedules: %d before, %d after (2 added by the test)", len(schedulesBefore), len(sc))
	}
	for _, path := range []string{"/instances", "/api/v1/instances"} {
		if _, body := b.get(path); strings.Contains(body, "alpha") {
			t.Errorf("bob's %s lists alpha", path)
		}
	}

	// The owner gets through every route, sharing included (before
	// roles only an administrator could share).
	a := e.as(alice)
	sort.SliceStable(patterns, func(i, j int) bool { return !destroys(patterns[i]) && destroys(patterns[j]) })
	for _, p := range patterns {
		name := "alpha"
		if destroys(p) {
			name = "gone-" + strings.ToLower(strings.Fields(p)[0])
			e.mustCreate(name, alice)
		}
		if unshares(p) {
			if err := e.st.SetShare(ctx, name, bob.ID, "viewer"); err != nil {
				t.Fatal(err)
			}
		}
		resp, body := a.call(p, name, bob)
		if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusForbidden || resp.StatusCode >= 500 {
			t.Errorf("owner: %s = %d:\n%s", p, resp.StatusCode, body)
		}
	}
}

func destroys(pattern string) bool {
	if strings.Contains(pattern, "/schedules/") || strings.Contains(pattern, "/backups/") {
		return false // removes a schedule or a backup, not the instance
	}
	return !strings.Contains(pattern, "shares") && (strings.HasPrefix(pattern, "DELETE ") || strings.HasSuffix(pattern, "/delete"))
}

// unshares reports whether pattern withdraws a share (which must exist).
func unshares(pattern string) bool {
	return strings.Contains(pattern, "/shares/") && (strings.HasPrefix(pattern, "DELETE ") || strings.HasSuffix(pattern, "/delete"))
}

// TestSharedUser: a site administrator shares alice's instance with carol
// as an operator: carol sees it without its RCON password, may start it,
// may not delete it or edit its server.cfg (403 naming the role to ask
// for), and loses it when the share is withdrawn.
func TestSharedUser(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	alice := e.quickUser("alice", false)
	carol := e.quickUser("carol", false)
	admin := e.quickUser("root", true)
	in := e.mustCreate("alpha", alice)
	root := e.as(admin)
	if resp, body := root.post("/instances/alpha/shares", url.Values{"user": {"carol"}, "role": {"operator"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("share = %d:\n%s", resp.StatusCode, body)
	}
	c := e.as(carol)
	resp, body := c.get("/instances/alpha")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("carol sees alpha: %d", resp.StatusCode)
	}
	if strings.Contains(body, in.RCONPassword) {
		t.Error("the RCON password is shown to a user the instance is shared with")
	}
	if _, body := c.get("/api/v1/instances/alpha"); strings.Contains(body, in.RCONPassword) {
		t.Error("the API shows the RCON password to a shared user")
	}
	if resp, _ := c.post("/instances/alpha/start", nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("carol cannot start a shared instance: %d", resp.StatusCode)
	}
	if resp, body := c.post("/instances/alpha/delete", url.Values{"confirm": {"alpha"}}); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "only the owner or an administrator may delete this instance") {
		t.Errorf("carol deleting a shared instance = %d, want 403 naming who may:\n%s", resp.StatusCode, body)
	}
	if resp, body := c.post("/instances/alpha/cfg", url.Values{"server_cfg": {"hostname carol"}}); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "ask the owner for the admin role") {
		t.Errorf("operator editing server.cfg = %d, want 403 naming the admin role:\n%s", resp.StatusCode, body)
	}
	if cfg, _ := e.svc.ServerCfg(ctx, "alpha"); cfg != "hostname alpha\n" {
		t.Errorf("server.cfg after the operator's refused edit = %q", cfg)
	}
	if _, err := e.svc.Get(ctx, "alpha"); err != nil {
		t.Errorf("alpha gone after carol's delete: %v", err)
	}
	if _, body := e.as(alice).get("/api/v1/instances/alpha"); !strings.Contains(body, in.RCONPassword) {
		t.Error("the owner does not get the RCON password from the API")
	}
	if resp, _ := root.post("/instances/alpha/shares/"+strconv.FormatInt(carol.ID, 10)+"/delete", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("unshare = %d", resp.StatusCode)
	}
	if resp, _ := c.get("/instances/alpha"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("carol still sees alpha after unshare: %d", resp.StatusCode)
	}
}

func TestAdminPagesNeedAdmin(t *testing.T) {
	e := newEnv(t)
	bob := e.as(e.quickUser("bob", false))
	for _, rt := range e.srv.routes {
		if rt.access != adminOnly {
			continue
		}
		method, path, _ := strings.Cut(rt.pattern, " ")
		path = strings.NewReplacer("{name}", "x", "{user}", "1", "{id}", "1").Replace(path)
		resp, _ := bob.do(method, path, "", url.Values{})
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("non-admin %s = %d, want 403", rt.pattern, resp.StatusCode)
		}
	}
}

package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/store"
	"github.com/left4me/left4me/internal/workshop/workshoptest"
)

// apiPrefix is where the API's routes live; the document's server URL.
const apiPrefix = "/api/v1"

// loadOpenAPI parses and validates the embedded document.
func loadOpenAPI(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(openAPIDoc)
	if err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.json is not a valid OpenAPI 3 document: %v", err)
	}
	if len(doc.Servers) != 1 || doc.Servers[0].URL != apiPrefix {
		t.Fatalf("openapi.json: servers = %v, want the one %s", doc.Servers, apiPrefix)
	}
	return doc
}

// docRoute finds the document's operation of a route table pattern
// ("GET /api/v1/instances/{name}"); nil when the document lacks it.
func docRoute(doc *openapi3.T, pattern string) *routers.Route {
	method, path, _ := strings.Cut(pattern, " ")
	path, ok := strings.CutPrefix(path, apiPrefix)
	if !ok {
		return nil
	}
	item := doc.Paths.Value(path)
	if item == nil || item.GetOperation(method) == nil {
		return nil
	}
	return &routers.Route{Spec: doc, Server: doc.Servers[0], Path: path, PathItem: item, Method: method, Operation: item.GetOperation(method)}
}

// TestOpenAPICoversRouteTable: every /api/v1 route of the table has its
// path and method in the document, and the document has no operation the
// table lacks.
func TestOpenAPICoversRouteTable(t *testing.T) {
	doc := loadOpenAPI(t)
	e := newEnv(t)
	inTable := map[string]bool{}
	for _, rt := range e.srv.routes {
		if _, path, _ := strings.Cut(rt.pattern, " "); !strings.HasPrefix(path, apiPrefix+"/") {
			continue
		}
		inTable[rt.pattern] = true
		if docRoute(doc, rt.pattern) == nil {
			t.Errorf("route %q has no path and method in openapi.json", rt.pattern)
		}
	}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			if p := method + " " + apiPrefix + path; !inTable[p] {
				t.Errorf("openapi.json documents %q, which is not a route", p)
			}
		}
	}
}

// apiCall is one request of TestOpenAPIMatchesEveryRoute.
type apiCall struct {
	pattern string // the route table's pattern it exercises
	path    string // with query
	body    string
	as      *client // nil: no credentials
	status  int     // the status the scenario expects
	want    string  // a part of the answer the scenario expects, if any
}

// TestOpenAPIMatchesEveryRoute drives every /api/v1 route of the table
// against a real panel (SQLite, job queue, content and Workshop services
// against a fake Steam) and validates each request and real answer,
// successes and errors, with openapi3filter. A route without a call
// here fails the test.
func TestOpenAPIMatchesEveryRoute(t *testing.T) {
	doc := loadOpenAPI(t)
	ce := newContentEnv(t, true)
	root := ce.as(ce.quickUser("root", true))
	aliceUser := ce.creator("alice")
	alice := ce.as(aliceUser)
	carol := ce.as(ce.quickUser("carol", false))
	dave := ce.as(ce.quickUser("dave", false))
	anon := ce.newClient()
	ctx := context.Background()

	// A live game with players, a failed instance, game events, a
	// script layer and a Workshop layer with a downloaded item, so that
	// the optional parts of the answers are filled too.
	ce.srv.cfg.Live = liveFunc(func(name string) (LiveState, bool) {
		return LiveState{Online: true, Hostname: "alpha", Map: "c1m1_hotel", Humans: 1, Bots: 1, MaxPlayers: 8,
			UpdatedAt: time.Now(), Players: []LivePlayer{
				{Name: "Ellis", SteamID: "STEAM_1:0:1", Score: 3, Connected: 90 * time.Second, Ping: 40},
				{Name: "Coach", Bot: true},
			}}, true
	})
	ce.mustCreate("beta", aliceUser)
	ce.sup.set("beta", instance.Failed)
	if _, err := ce.st.AddEvent(ctx, store.Event{Instance: "beta", Kind: "connect", Player: "Zoey", SteamID: "STEAM_1:0:7", SteamID64: 76561197960265742, Team: "Survivor", At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := ce.st.AddEvent(ctx, store.Event{Instance: "beta", Kind: "chat", Player: "Ellis", Text: "hi", At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	addHistory(t, ce.st, "beta", time.Now())
	if resp, body := root.post("/layers/script", url.Values{"id": {"made"}, "script": {"echo hi"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("script layer: %d\n%s", resp.StatusCode, body)
	}
	ce.steam.SetItem(workshoptest.Item{ID: 1001, Title: "Plain Map", TimeUpdated: 1700000000, Data: workshoptest.MakeVPK(t, "Plain", "plain01")})

	// A webhook receiver on loopback (the test panel allows it).
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer recv.Close()

	// The job ids the later calls name come from earlier answers.
	var lastJob string
	// The backup the DELETE calls name comes from an earlier answer too.
	var lastBackup string
	calls := []apiCall{
		{"GET /api/v1/openapi.json", "/api/v1/openapi.json", "", anon, 200, ""},
		{"GET /api/v1/instances", "/api/v1/instances", "", anon, 401, ""},
		{"POST /api/v1/instances", "/api/v1/instances", `{"name": "alpha", "layers": ["example"], "args": ["+map", "c1m1_hotel"], "server_cfg": "hostname alpha\n"}`, alice, 201, ""},
		{"POST /api/v1/instances", "/api/v1/instances", `{"name": "no way"}`, alice, 422, `"field": "name"`},
		{"POST /api/v1/instances", "/api/v1/instances", `{"name": "gamma", "colour": "red"}`, alice, 400, ""},
		{"GET /api/v1/instances", "/api/v1/instances", "", alice, 200, ""},
		{"GET /api/v1/instances/{name}", "/api/v1/instances/alpha", "", alice, 200, ""},
		{"GET /api/v1/instances/{name}", "/api/v1/instances/beta", "", root, 200, `"last_lines": [`},
		{"GET /api/v1/instances/{name}", "/api/v1/instances/nope", "", alice, 404, ""},
		{"PATCH /api/v1/instances/{name}", "/api/v1/instances/alpha", `{"port": 20555, "args": ["+map", "c2m1_highway"]}`, alice, 200, ""},
		{"PATCH /api/v1/instances/{name}", "/api/v1/instances/alpha", `{"port": 80}`, alice, 422, ""},
		{"PATCH /api/v1/instances/{name}", "/api/v1/instances/alpha", `{"watchdog": false}`, alice, 200, ""},
		{"PATCH /api/v1/instances/{name}", "/api/v1/instances/alpha", `{"watchdog": "maybe"}`, alice, 422, ""},
		{"PATCH /api/v1/instances/{name}", "/api/v1/instances/alpha", `{"pin": {"installation": "1"}}`, alice, 200, `"pins": {`},
		{"PATCH /api/v1/instances/{name}", "/api/v1/instances/alpha", `{"pin": {"installation": "9"}}`, alice, 422, `"field": "pin"`},
		{"PATCH /api/v1/instances/{name}", "/api/v1/instances/alpha", `{"unpin": ["all"]}`, alice, 200, ""},
		{"POST /api/v1/instances/{name}/start", "/api/v1/instances/alpha/start", "", alice, 200, `"connected_seconds": 90`},
		{"POST /api/v1/instances/{name}/restart", "/api/v1/instances/alpha/restart", "", alice, 200, ""},
		{"GET /api/v1/instances/{name}/live", "/api/v1/instances/alpha/live", "", alice, 200, `"bot": true`},
		{"GET /api/v1/instances/{name}/live", "/api/v1/instances/beta/live", "", root, 200, ""},
		{"POST /api/v1/instances/{name}/rcon", "/api/v1/instances/alpha/rcon", `{"command": "status"}`, alice, 200, ""},
		{"POST /api/v1/instances/{name}/rcon", "/api/v1/instances/alpha/rcon", `{"command": ""}`, alice, 422, ""},
		{"GET /api/v1/instances/{name}/rcon", "/api/v1/instances/alpha/rcon", "", alice, 200, ""},
		{"GET /api/v1/instances/{name}/maps", "/api/v1/instances/alpha/maps", "", alice, 200, `"title": "Dead Center"`},
		{"POST /api/v1/instances/{name}/map", "/api/v1/instances/alpha/map", `{"map": "c2m1_highway", "mode": "versus", "when": "now"}`, alice, 200, `"changelevel c2m1_highway"`},
		{"POST /api/v1/instances/{name}/map", "/api/v1/instances/alpha/map", `{"map": "c2m1_highway", "when": "next-start"}`, alice, 200, `"args": [`},
		{"POST /api/v1/instances/{name}/map", "/api/v1/instances/alpha/map", `{"map": "c99m1_nowhere"}`, alice, 422, `"field": "map"`},
		{"POST /api/v1/instances/{name}/map", "/api/v1/instances/alpha/map", `{"map": "c2m1_highway", "mode": "deathmatch"}`, alice, 422, `"field": "mode"`},
		{"POST /api/v1/instances/{name}/map", "/api/v1/instances/alpha/map", `{"map": "c2m1_highway", "when": "soon"}`, alice, 422, `"field": "when"`},
		{"POST /api/v1/instances/{name}/kick", "/api/v1/instances/alpha/kick", `{"player": "STEAM_1:0:1", "reason": "afk too long"}`, alice, 200, `kickid STEAM_1:0:1 \"afk too long\"`},
		{"POST /api/v1/instances/{name}/kick", "/api/v1/instances/alpha/kick", `{"player": "Ellis"}`, alice, 422, `"field": "player"`},
		{"POST /api/v1/bans", "/api/v1/bans", `{"steam_id": "[U:1:2]", "duration": "7d", "reason": "griefing"}`, alice, 201, `"steam_id": "STEAM_1:0:1"`},
		{"POST /api/v1/bans", "/api/v1/bans", `{"steam_id": "STEAM_1:0:9", "duration": 90}`, alice, 201, `"instances": [`},
		{"POST /api/v1/bans", "/api/v1/bans", `{"steam_id": "STEAM_1:0:5", "global": true}`, root, 201, `"global": true`},
		{"POST /api/v1/bans", "/api/v1/bans", `{"steam_id": "STEAM_1:0"}`, alice, 422, `"field": "steam_id"`},
		{"POST /api/v1/bans", "/api/v1/bans", `{"steam_id": "STEAM_1:0:1", "duration": "-5m"}`, alice, 422, `"field": "duration"`},
		{"POST /api/v1/bans", "/api/v1/bans", `{"steam_id": "STEAM_1:0:1", "global": true}`, alice, 422, `"field": "global"`},
		{"POST /api/v1/bans", "/api/v1/bans", `{"steam_id": "STEAM_1:0:1", "instances": ["nope"]}`, alice, 422, `"field": "instances"`},
		{"GET /api/v1/bans", "/api/v1/bans?q=griefing", "", alice, 200, `"reason": "griefing"`},
		{"GET /api/v1/bans/{id}", "/api/v1/bans/1", "", alice, 200, `"by": "alice"`},
		{"GET /api/v1/bans/{id}", "/api/v1/bans/999", "", alice, 404, ""},
		{"DELETE /api/v1/bans/{id}", "/api/v1/bans/3", "", alice, 403, ""},
		{"DELETE /api/v1/bans/{id}", "/api/v1/bans/1", "", alice, 200, `"steam_id": "STEAM_1:0:1"`},
		{"DELETE /api/v1/bans/{id}", "/api/v1/bans/1", "", alice, 404, ""},
		{"PUT /api/v1/instances/{name}/shares/{user}", "/api/v1/instances/alpha/shares/carol", `{"role": "operator"}`, alice, 200, `"role": "operator"`},
		{"PUT /api/v1/instances/{name}/shares/{user}", "/api/v1/instances/alpha/shares/carol", `{"role": "boss"}`, alice, 422, `"field": "role"`},
		{"PUT /api/v1/instances/{name}/shares/{user}", "/api/v1/instances/alpha/shares/nobody", `{"role": "viewer"}`, alice, 422, `"field": "user"`},
		{"PUT /api/v1/instances/{name}/shares/{user}", "/api/v1/instances/alpha/shares/alice", `{"role": "viewer"}`, alice, 422, `"field": "user"`},
		{"GET /api/v1/instances/{name}/shares", "/api/v1/instances/alpha/shares", "", alice, 200, `"user": "carol"`},
		{"GET /api/v1/instances/{name}/export.tar", "/api/v1/instances/alpha/export.tar", "", alice, 200, "oci-layout"},
		{"GET /api/v1/instances/{name}/export.tar", "/api/v1/instances/alpha/export.tar?with_upper=maybe", "", alice, 422, `"field": "with_upper"`},
		{"GET /api/v1/instances/{name}/export.tar", "/api/v1/instances/alpha/export.tar", "", carol, 403, ""},
		{"POST /api/v1/instances/{name}/restart", "/api/v1/instances/alpha/restart", "", carol, 200, ""},
		{"PUT /api/v1/instances/{name}/cfg", "/api/v1/instances/alpha/cfg", `{"server_cfg": "hostname carol\n"}`, carol, 403, "ask the owner for the admin role"},
		{"GET /api/v1/instances/{name}/rcon", "/api/v1/instances/alpha/rcon", "", carol, 403, ""},
		{"POST /api/v1/instances/{name}/rcon", "/api/v1/instances/alpha/rcon", `{"command": "status"}`, carol, 403, `"field": "command"`},
		{"GET /api/v1/instances/{name}/shares", "/api/v1/instances/alpha/shares", "", carol, 403, ""},
		{"DELETE /api/v1/instances/{name}/shares/{user}", "/api/v1/instances/alpha/shares/carol", "", alice, 204, ""},
		{"DELETE /api/v1/instances/{name}/shares/{user}", "/api/v1/instances/alpha/shares/carol", "", alice, 404, ""},
		{"GET /api/v1/users", "/api/v1/users", "", root, 200, `"may_create": true`},
		{"GET /api/v1/users", "/api/v1/users", "", alice, 403, ""},
		{"PATCH /api/v1/users/{user}", "/api/v1/users/carol", `{"may_create": true}`, root, 200, `"may_create": true`},
		{"PATCH /api/v1/users/{user}", "/api/v1/users/carol", `{}`, root, 422, `"field": "may_create"`},
		{"PATCH /api/v1/users/{user}", "/api/v1/users/nobody", `{"may_create": true}`, root, 404, ""},
		{"POST /api/v1/instances", "/api/v1/instances", `{"name": "delta"}`, dave, 403, "ask an administrator"},
		{"POST /api/v1/instances/{name}/stop", "/api/v1/instances/alpha/stop", "", alice, 200, ""},
		{"POST /api/v1/instances/{name}/reset", "/api/v1/instances/alpha/reset", "", alice, 200, ""},
		{"GET /api/v1/instances/{name}/cfg", "/api/v1/instances/alpha/cfg", "", alice, 200, ""},
		{"PUT /api/v1/instances/{name}/cfg", "/api/v1/instances/alpha/cfg", `{"server_cfg": "hostname alpha\nsv_cheats 1\n"}`, alice, 200, ""},
		{"GET /api/v1/instances/{name}/logs", "/api/v1/instances/alpha/logs?n=10", "", alice, 200, ""},
		{"GET /api/v1/instances/{name}/logs", "/api/v1/instances/alpha/logs?n=0", "", alice, 400, ""},
		{"GET /api/v1/instances/{name}/events", "/api/v1/instances/beta/events", "", root, 200, `"player": "Ellis"`},
		{"GET /api/v1/instances/{name}/events", "/api/v1/instances/beta/events?after=x", "", root, 400, ""},
		{"GET /api/v1/instances/{name}/events", "/api/v1/instances/beta/events?before=1000000&kind=chat,team_chat&limit=5", "", root, 200, `"player": "Ellis"`},
		{"GET /api/v1/instances/{name}/events", "/api/v1/instances/beta/events?kind=nope", "", root, 400, `"field": "kind"`},
		{"GET /api/v1/instances/{name}/history", "/api/v1/instances/beta/history", "", root, 200, `"map": "c2m1_highway"`},
		{"GET /api/v1/instances/{name}/history", "/api/v1/instances/beta/history?from=2020-01-01T00:00:00Z", "", root, 422, `"field": "from"`},
		{"GET /api/v1/instances/{name}/history", "/api/v1/instances/beta/history?step=1s", "", root, 422, `"field": "step"`},
		{"GET /api/v1/instances/{name}/history", "/api/v1/instances/beta/history", "", carol, 404, ""},
		{"GET /api/v1/host/history", "/api/v1/host/history?step=5m", "", root, 200, `"load1": 1.5`},
		{"GET /api/v1/host/history", "/api/v1/host/history?to=later", "", root, 422, `"field": "to"`},
		{"GET /api/v1/host/history", "/api/v1/host/history", "", alice, 403, ""},
		{"GET /api/v1/layers", "/api/v1/layers", "", alice, 200, ""},
		{"GET /api/v1/layers/{id}", "/api/v1/layers/made", "", root, 200, `"script": "echo hi"`},
		{"GET /api/v1/layers/{id}", "/api/v1/layers/missing", "", alice, 404, ""},
		{"POST /api/v1/layers/{id}/build", "/api/v1/layers/made/build", "", root, 202, ""},
		{"POST /api/v1/layers/{id}/build", "/api/v1/layers/made/build", "", alice, 403, ""},
		{"POST /api/v1/workshop/items", "/api/v1/workshop/items", `{"layer": "wsmaps", "refs": ["1001"]}`, root, 202, ""},
		{"POST /api/v1/workshop/items", "/api/v1/workshop/items", `{"layer": "wsmaps", "refs": ["not an id"]}`, root, 422, ""},
		{"GET /api/v1/layers/{id}", "/api/v1/layers/wsmaps", "", root, 200, `"plain01"`},
		{"POST /api/v1/workshop/refresh", "/api/v1/workshop/refresh", "", root, 202, ""},
		{"POST /api/v1/installation/install", "/api/v1/installation/install", `{"validate": true}`, root, 202, ""},
		{"POST /api/v1/installation/rolling-restart", "/api/v1/installation/rolling-restart", `{"parallel": 2, "max_wait": "10m"}`, root, 202, `"job_id"`},
		{"POST /api/v1/installation/rolling-restart", "/api/v1/installation/rolling-restart", `{"parallel": 0, "max_wait": "-1m"}`, root, 422, `"field": "max_wait"`},
		{"POST /api/v1/installation/rolling-restart", "/api/v1/installation/rolling-restart", "", alice, 403, ""},
		{"POST /api/v1/installation/install", "/api/v1/installation/install", `{"canary": "nope"}`, root, 422, `"field": "canary"`},
		{"POST /api/v1/installation/rollback", "/api/v1/installation/rollback", `{}`, root, 422, `"field": "generation"`},
		{"POST /api/v1/installation/rollback", "/api/v1/installation/rollback", `{"generation": "1"}`, root, 200, `"default": "1"`},
		{"POST /api/v1/installation/rollback", "/api/v1/installation/rollback", "", alice, 403, ""},
		{"POST /api/v1/installation/canary", "/api/v1/installation/canary", `{"instance": "alpha", "generation": "1"}`, root, 202, `"job_id"`},
		{"POST /api/v1/installation/canary", "/api/v1/installation/canary", `{"instance": "alpha", "generation": "9"}`, root, 422, `"field": "generation"`},
		{"POST /api/v1/installation/canary", "/api/v1/installation/canary", `{"instance": "nope"}`, root, 422, `"field": "canary"`},
		{"GET /api/v1/conflicts", "/api/v1/conflicts?layers=example,maps,unbuilt", "", alice, 200, `"unbuilt"`},
		{"GET /api/v1/jobs", "/api/v1/jobs", "", root, 200, ""},
		{"GET /api/v1/jobs", "/api/v1/jobs?state=failed&kind=content_install", "", root, 200, ""},
		{"GET /api/v1/jobs/{id}", "/api/v1/jobs/{job}", "", root, 200, `"errors": [`},
		{"GET /api/v1/jobs/{id}", "/api/v1/jobs/999999", "", root, 404, ""},
		{"POST /api/v1/jobs/{id}/cancel", "/api/v1/jobs/{job}/cancel", "", root, 200, ""},
		{"POST /api/v1/instances/{name}/schedules", "/api/v1/instances/alpha/schedules", `{"action": "restart", "when": "daily 04:00", "policy": "when-empty", "max_wait": "30m", "on_timeout": "skip"}`, alice, 201, `"when": "daily 04:00"`},
		{"POST /api/v1/instances/{name}/schedules", "/api/v1/instances/alpha/schedules", `{"action": "rcon", "command": "say hello", "when": "cron 0 */6 * * *"}`, alice, 201, `"command": "say hello"`},
		{"POST /api/v1/instances/{name}/schedules", "/api/v1/instances/alpha/schedules", `{"action": "restart", "when": "0 4 * *"}`, alice, 422, `"field": "when"`},
		{"POST /api/v1/instances/{name}/schedules", "/api/v1/instances/alpha/schedules", `{"action": "reboot", "when": "04:00"}`, alice, 422, `"field": "action"`},
		{"POST /api/v1/instances/{name}/schedules", "/api/v1/instances/alpha/schedules", `{"action": "restart", "when": "04:00", "max_wait": "-1m"}`, alice, 422, `"field": "max_wait"`},
		{"POST /api/v1/instances/{name}/schedules", "/api/v1/instances/alpha/schedules", `{"action": "restart", "when": "04:00", "policy": "later"}`, alice, 422, `"field": "policy"`},
		{"GET /api/v1/instances/{name}/schedules", "/api/v1/instances/alpha/schedules", "", alice, 200, `"next_run"`},
		{"GET /api/v1/instances/{name}/schedules", "/api/v1/instances/nope/schedules", "", alice, 404, ""},
		{"DELETE /api/v1/instances/{name}/schedules/{id}", "/api/v1/instances/alpha/schedules/1", "", alice, 204, ""},
		{"DELETE /api/v1/instances/{name}/schedules/{id}", "/api/v1/instances/alpha/schedules/1", "", alice, 404, ""},
		{"POST /api/v1/instances/{name}/clone", "/api/v1/instances/alpha/clone", `{"name": "alpha2"}`, alice, 201, `"name": "alpha2"`},
		{"POST /api/v1/instances/{name}/clone", "/api/v1/instances/alpha/clone", `{"name": "beta"}`, alice, 409, `"field": "name"`},
		{"DELETE /api/v1/instances/{name}", "/api/v1/instances/alpha2", "", alice, 204, ""},
		{"GET /api/v1/instances/{name}/diff", "/api/v1/instances/alpha/diff", "", alice, 200, `"changes": [`},
		{"GET /api/v1/instances/{name}/diff", "/api/v1/instances/nope/diff", "", alice, 404, ""},
		{"POST /api/v1/instances/{name}/revert", "/api/v1/instances/alpha/revert", `{"path": "../x"}`, alice, 422, `"field": "path"`},
		{"POST /api/v1/instances/{name}/template", "/api/v1/instances/alpha/template", `{"template": "tpl", "files": true}`, alice, 201, `"name": "tpl"`},
		{"POST /api/v1/instances/{name}/template", "/api/v1/instances/alpha/template", `{"template": "tpl"}`, alice, 409, `"field": "template"`},
		{"GET /api/v1/templates", "/api/v1/templates", "", alice, 200, `"source": "alpha"`},
		{"GET /api/v1/templates", "/api/v1/templates", "", carol, 200, ""},
		{"POST /api/v1/instances", "/api/v1/instances", `{"name": "fromtpl", "template": "tpl"}`, alice, 201, `"name": "fromtpl"`},
		{"DELETE /api/v1/instances/{name}", "/api/v1/instances/fromtpl", "", alice, 204, ""},
		{"DELETE /api/v1/templates/{template}", "/api/v1/templates/tpl", "", carol, 422, `"field": "template"`},
		{"DELETE /api/v1/templates/{template}", "/api/v1/templates/tpl", "", alice, 204, ""},
		{"POST /api/v1/instances/{name}/backups", "/api/v1/instances/alpha/backups", "", alice, 201, `"kind": "manual"`},
		{"POST /api/v1/instances/{name}/backups", "/api/v1/instances/alpha/backups", `{"with_rcon_password": true}`, alice, 201, `"download": "/api/v1/instances/alpha/backups/alpha-`},
		{"POST /api/v1/instances/{name}/backups", "/api/v1/instances/alpha/backups", `{"with_rcon": true}`, alice, 400, ""},
		{"GET /api/v1/instances/{name}/backups", "/api/v1/instances/alpha/backups", "", alice, 200, `"kind": "manual"`},
		{"GET /api/v1/instances/{name}/backups/{file}", "/api/v1/instances/alpha/backups/alpha-nope.tar.zst", "", alice, 404, ""},
		{"DELETE /api/v1/instances/{name}/backups/{file}", "/api/v1/instances/alpha/backups/{backup}", "", alice, 204, ""},
		{"DELETE /api/v1/instances/{name}/backups/{file}", "/api/v1/instances/alpha/backups/{backup}", "", alice, 404, "has no backup"},
		{"DELETE /api/v1/instances/{name}/backups/{file}", "/api/v1/instances/alpha/backups/..%2Fbeta%2Fbeta-20260101T000000.000Z-manual.tar.zst", "", alice, 422, `"field": "file"`},
		{"DELETE /api/v1/instances/{name}/backups/{file}", "/api/v1/instances/alpha/backups/beta-20260101T000000.000Z-manual.tar.zst", "", alice, 422, "is a backup of beta, not of alpha"},
		{"DELETE /api/v1/instances/{name}/backups/{file}", "/api/v1/instances/alpha/backups/notes.txt", "", alice, 422, `"field": "file"`},
		{"GET /api/v1/instances/{name}/backups", "/api/v1/instances/alpha/backups", "", alice, 200, `"kind": "manual"`},
		{"PUT /api/v1/instances/{name}/backup-retention", "/api/v1/instances/alpha/backup-retention", `{"keep_daily": 3}`, alice, 200, `"keep_weekly": 4`},
		{"PUT /api/v1/instances/{name}/backup-retention", "/api/v1/instances/alpha/backup-retention", `{"keep_weekly": -1}`, alice, 422, `"field": "keep_weekly"`},
		{"POST /api/v1/restore", "/api/v1/restore?name=omega", "not an archive", alice, 422, "not a left4me backup"},
		{"POST /api/v1/restore", "/api/v1/restore?name=alpha", "not an archive", alice, 409, `"field": "name"`},
		{"DELETE /api/v1/instances/{name}", "/api/v1/instances/alpha", "", alice, 204, ""},
		{"GET /api/v1/webhooks", "/api/v1/webhooks", "", alice, 403, ""},
		{"POST /api/v1/webhooks", "/api/v1/webhooks", `{"url": "` + recv.URL + `/hook", "events": ["instance.crashed", "job.failed"], "format": "json"}`, root, 201, `"secret": "`},
		{"POST /api/v1/webhooks", "/api/v1/webhooks", `{"url": "https://203.0.113.9/hook", "events": ["instance.exploded"]}`, root, 422, `"field": "events"`},
		{"POST /api/v1/webhooks", "/api/v1/webhooks", `{"url": "https://203.0.113.9/hook", "format": "teams"}`, root, 422, `"field": "format"`},
		{"POST /api/v1/webhooks/{id}/test", "/api/v1/webhooks/1/test", "", root, 200, `"status_code": 200`},
		{"POST /api/v1/webhooks/{id}/test", "/api/v1/webhooks/77/test", "", root, 404, ""},
		{"GET /api/v1/webhooks", "/api/v1/webhooks", "", root, 200, `"last_delivery": {`},
		{"GET /api/v1/webhooks/{id}/deliveries", "/api/v1/webhooks/1/deliveries", "", root, 200, `"event": "webhook.test"`},
		{"GET /api/v1/webhooks/{id}/deliveries", "/api/v1/webhooks/77/deliveries", "", root, 404, ""},
		{"DELETE /api/v1/webhooks/{id}", "/api/v1/webhooks/1", "", root, 204, ""},
		{"DELETE /api/v1/webhooks/{id}", "/api/v1/webhooks/1", "", root, 404, ""},
		{"GET /api/v1/audit", "/api/v1/audit?action=instances.start", "", alice, 200, `"actor": "alice"`},
		{"GET /api/v1/audit", "/api/v1/audit", "", root, 200, `"action": "webhooks.create"`},
		{"GET /api/v1/audit", "/api/v1/audit?since=yesterday", "", root, 400, `"field": "since"`},
		{"GET /api/v1/players/{steamid}", "/api/v1/players/STEAM_1:0:7", "", root, 200, `"names": [`},
		{"GET /api/v1/players/{steamid}", "/api/v1/players/STEAM_1:0:8", "", root, 404, ""},
		{"GET /api/v1/players/{steamid}", "/api/v1/players/not-an-id", "", root, 422, `"field": "steamid"`},
	}
	covered := map[string]bool{}
	for _, c := range calls {
		path := strings.ReplaceAll(c.path, "{job}", lastJob)
		path = strings.ReplaceAll(path, "{backup}", lastBackup)
		t.Run(c.pattern+" "+path, func(t *testing.T) {
			route := docRoute(doc, c.pattern)
			if route == nil {
				t.Fatalf("%q is not in openapi.json", c.pattern)
			}
			resp, body := do(t, c.as, ce.env, c.pattern, path, c.body)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d:\n%s", resp.StatusCode, c.status, body)
			}
			if !strings.Contains(body, c.want) {
				t.Errorf("the answer lacks %s:\n%s", c.want, body)
			}
			if err := validateExchange(route, c.pattern, path, c.body, resp, body); err != nil {
				t.Errorf("the answer does not match openapi.json: %v\n%s", err, body)
			}
			if m := backupFileField.FindStringSubmatch(body); m != nil {
				lastBackup = m[1]
			}
			if m := jobIDField.FindStringSubmatch(body); m != nil {
				lastJob = m[1]
				// Let the job run to its end, so that the job calls see
				// finished jobs and nothing runs when the test ends.
				id, _ := strconv.ParseInt(m[1], 10, 64)
				ce.waitJob(t, id)
			}
		})
		covered[c.pattern] = true
	}
	for _, rt := range ce.srv.routes {
		if _, path, _ := strings.Cut(rt.pattern, " "); strings.HasPrefix(path, apiPrefix+"/") && !covered[rt.pattern] {
			t.Errorf("route %q is not exercised: add a call for it", rt.pattern)
		}
	}
}

// do sends one API request as c (nil: no credentials).
func do(t *testing.T, c *client, e *env, pattern, path, body string) (*http.Response, string) {
	t.Helper()
	method, _, _ := strings.Cut(pattern, " ")
	if c == nil {
		c = e.newClient()
	}
	return c.do(method, path, body, nil)
}

// validateExchange checks the request and the answer against the
// document's operation.
func validateExchange(route *routers.Route, pattern, path, reqBody string, resp *http.Response, body string) error {
	method, _, _ := strings.Cut(pattern, " ")
	u, err := url.Parse(path)
	if err != nil {
		return err
	}
	req, err := http.NewRequest(method, "http://panel"+path, strings.NewReader(reqBody))
	if err != nil {
		return err
	}
	if reqBody != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	params := map[string]string{}
	tmpl := strings.Split(route.Path, "/")
	segs := strings.Split(strings.TrimPrefix(u.Path, apiPrefix), "/")
	for i, s := range tmpl {
		if strings.HasPrefix(s, "{") && i < len(segs) {
			params[strings.Trim(s, "{}")] = segs[i]
		}
	}
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	// A request the panel refuses (400, 422) may break the document's
	// request rules on purpose; its answer is still checked.
	if resp.StatusCode < 400 {
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			return err
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode,
		Header: resp.Header, Options: opts}
	out.SetBodyBytes([]byte(body))
	return openapi3filter.ValidateResponse(context.Background(), out)
}

// TestOpenAPIRejectsWrongAnswers: the validation the route test relies on
// refuses an answer that breaks the document (a missing required field, a
// null list, a field the document does not have, an undocumented status).
func TestOpenAPIRejectsWrongAnswers(t *testing.T) {
	doc := loadOpenAPI(t)
	route := docRoute(doc, "GET /api/v1/instances/{name}")
	good := `{"name":"a","owner":"o","port":20000,"layers":[],"args":[],"state":"stopped","want_running":false,"autostart":true,"watchdog":true,"unhealthy":false,` +
		`"created_at":"2026-01-02T03:04:05Z","updated_at":"2026-01-02T03:04:05Z"}`
	for _, tc := range []struct {
		name   string
		status int
		body   string
		ok     bool
	}{
		{"good", 200, good, true},
		{"an error", 404, `{"error":"No instance named a."}`, true},
		{"no name", 200, strings.Replace(good, `"name":"a",`, "", 1), false},
		{"null list", 200, strings.Replace(good, `"layers":[]`, `"layers":null`, 1), false},
		{"unknown field", 200, strings.Replace(good, `"port":20000`, `"port":20000,"colour":"red"`, 1), false},
		{"unknown state", 200, strings.Replace(good, `"stopped"`, `"asleep"`, 1), false},
		{"error without message", 404, `{"field":"name"}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := &http.Response{StatusCode: tc.status, Header: http.Header{"Content-Type": {"application/json"}}}
			err := validateExchange(route, "GET /api/v1/instances/{name}", "/api/v1/instances/a", "", resp, tc.body)
			if (err == nil) != tc.ok {
				t.Errorf("validation error %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

// backupFileField finds a backup of alpha an answer names.
var backupFileField = regexp.MustCompile(`"file": "(alpha-[^"]+)"`)

// jobIDField finds the job an answer queued.
var jobIDField = regexp.MustCompile(`"job_id": (\d+)`)

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/left4me/left4me/internal/content"
	"github.com/left4me/left4me/internal/workshop/workshoptest"
)

// apiSchemas loads the API's OpenAPI document (internal/web/openapi.json,
// which internal/web's tests check against the API's real answers).
func apiSchemas(t *testing.T) openapi3.Schemas {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "internal", "web", "openapi.json"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		t.Fatal(err)
	}
	return doc.Components.Schemas
}

// conforms checks one JSON value against the named API schema.
func conforms(t *testing.T, schemas openapi3.Schemas, name, what string, v any) {
	t.Helper()
	if err := schemas[name].Value.VisitJSON(v); err != nil {
		t.Errorf("%s is not the API's %s: %v", what, name, err)
	}
}

// decodeOut reads the CLI's output as generic JSON.
func decodeOut[T any](t *testing.T, out string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	return v
}

// TestJSONIsTheAPIShape: the CLI's --json output of instances, layers,
// Workshop items and jobs has the fields and null rules of the API's
// schemas for them (one views type each), so a script can read either.
func TestJSONIsTheAPIShape(t *testing.T) {
	schemas := apiSchemas(t)
	f := newCLIFixture(t)
	t.Cleanup(func() { content.RemoveTree(f.root.String()) }) // read-only generations
	f.env["LEFT4ME_BUILD_SANDBOX"] = "none"
	f.env[adminPasswordEnv] = "password-one"
	fake := workshoptest.New(t)
	f.env["STEAM_API_BASE"] = fake.URL()
	fake.SetItem(workshoptest.Item{ID: 101, Title: "Map One", TimeUpdated: 1000, Data: workshoptest.MakeVPK(t, "Map One", "one_m1")})

	f.must(t, "", "user", "create", "alice", "--admin")
	if err := os.MkdirAll(f.root.Installation("1"), 0o755); err != nil {
		t.Fatal(err)
	}
	f.must(t, "echo built\n", "overlay", "create-script", "mine", "--script", "-")
	f.must(t, "", "overlay", "build", "mine")
	f.must(t, "", "workshop", "add", "maps", "101")
	f.must(t, "", "instance", "create", "vs1", "--owner", "alice", "--layer", "mine", "--", "+map", "c1m1_hotel")
	f.must(t, "", "instance", "create", "vs2", "--owner", "alice")
	jobID := enqueueTestJob(t, f, content.KindInstall, content.InstallArgs{Validate: true}, 1)

	for _, v := range decodeOut[[]any](t, f.must(t, "", "instance", "list", "--json")) {
		conforms(t, schemas, "Instance", "instance list --json", v)
	}
	conforms(t, schemas, "Instance", "instance show --json --show-secret",
		decodeOut[any](t, f.must(t, "", "instance", "show", "vs1", "--json", "--show-secret")))

	for _, v := range decodeOut[[]any](t, f.must(t, "", "overlay", "list", "--json")) {
		conforms(t, schemas, "Layer", "overlay list --json", v)
	}
	// overlay show adds what only the host's operator sees.
	shown := decodeOut[map[string]any](t, f.must(t, "", "overlay", "show", "mine", "--json"))
	for _, k := range []string{"path", "builds", "files"} {
		delete(shown, k)
	}
	conforms(t, schemas, "Layer", "overlay show --json", shown)

	ws := decodeOut[struct{ Items []any }](t, f.must(t, "", "workshop", "show", "maps", "--json"))
	if len(ws.Items) != 1 {
		t.Fatalf("workshop show: %d items", len(ws.Items))
	}
	conforms(t, schemas, "WorkshopItem", "workshop show --json's item", ws.Items[0])

	for _, v := range decodeOut[[]any](t, f.must(t, "", "job", "list", "--json")) {
		conforms(t, schemas, "Job", "job list --json", v)
	}
	conforms(t, schemas, "Job", "job show --json", decodeOut[any](t, f.must(t, "", "job", "show", strconv.FormatInt(jobID, 10), "--json")))
}

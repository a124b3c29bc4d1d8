package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/left4me/left4me/internal/content"
	"github.com/left4me/left4me/internal/views"
	"github.com/left4me/left4me/internal/workshop/workshoptest"
)

func TestWorkshopCommands(t *testing.T) {
	f := newCLIFixture(t)
	t.Cleanup(func() { content.RemoveTree(f.root.String()) }) // read-only generations
	fake := workshoptest.New(t)
	f.env["STEAM_API_BASE"] = fake.URL()
	fake.SetItem(workshoptest.Item{ID: 101, Title: "Map One", TimeUpdated: 1000, Data: workshoptest.MakeVPK(t, "Map One", "one_m1", "one_m2")})
	fake.SetItem(workshoptest.Item{ID: 102, Title: "Map Two", TimeUpdated: 2000, Data: workshoptest.MakeVPK(t, "Map Two", "two_m1")})
	fake.SetCollection(900, "Both", 101, 102)

	out := f.must(t, "", "workshop", "add", "maps", "https://steamcommunity.com/sharedfiles/filedetails/?id=900")
	for _, want := range []string{"created workshop layer maps", "expanded collection 900", "added 2 item(s)", "published maps generation 000001-"} {
		if !strings.Contains(out, want) {
			t.Errorf("add output lacks %q:\n%s", want, out)
		}
	}
	var layers []views.WorkshopLayer
	if err := json.Unmarshal([]byte(f.must(t, "", "workshop", "list", "--json")), &layers); err != nil {
		t.Fatal(err)
	}
	if len(layers) != 1 || layers[0].ID != "maps" || !strings.HasPrefix(layers[0].Generation, "000001-") || !reflect.DeepEqual(layers[0].ItemIDs, []uint64{101, 102}) || layers[0].Flagged != 0 {
		t.Fatalf("list = %+v", layers)
	}
	gen1 := layers[0].Generation
	vpkPath := filepath.Join(f.root.Overlay("maps", gen1), "left4dead2", "addons", "101.vpk")
	if _, err := os.Stat(vpkPath); err != nil {
		t.Fatal(err)
	}
	// The instance service sees the layer like any other content layer.
	if out := f.must(t, "", "instance", "layers"); !strings.Contains(out, "maps") {
		t.Errorf("instance layers does not list the workshop layer:\n%s", out)
	}

	if out := f.must(t, "", "workshop", "list"); !strings.Contains(out, "maps") || !strings.Contains(out, gen1) {
		t.Errorf("list text:\n%s", out)
	}

	var shown views.WorkshopLayer
	if err := json.Unmarshal([]byte(f.must(t, "", "workshop", "show", "maps", "--json")), &shown); err != nil {
		t.Fatal(err)
	}
	if len(shown.Items) != 2 || shown.Items[0].Title != "Map One" || shown.Items[0].Revision != "1000" ||
		!reflect.DeepEqual(shown.Items[0].Addon.Maps, []string{"one_m1", "one_m2"}) || shown.Items[1].UpdatePending {
		t.Errorf("show = %+v", shown)
	}
	if out := f.must(t, "", "workshop", "show", "maps"); !strings.Contains(out, "one_m1,one_m2") || !strings.Contains(out, "Map Two") {
		t.Errorf("show text:\n%s", out)
	}

	// An update and a ban, then refresh.
	fake.SetItem(workshoptest.Item{ID: 102, Title: "Map Two", TimeUpdated: 2500, Data: workshoptest.MakeVPK(t, "Map Two", "two_m1", "two_m2")})
	fake.SetItem(workshoptest.Item{ID: 101, Title: "Map One", TimeUpdated: 1000, Banned: true, Data: workshoptest.MakeVPK(t, "Map One", "one_m1", "one_m2")})
	var sum workshopRefreshJSON
	if err := json.Unmarshal([]byte(f.must(t, "", "workshop", "refresh", "--json")), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Checked != 2 || !reflect.DeepEqual(sum.Downloaded, []uint64{102}) || !reflect.DeepEqual(sum.Banned, []uint64{101}) ||
		len(sum.Published) != 1 || !strings.HasPrefix(sum.Published["maps"], "000002-") {
		t.Errorf("refresh = %+v", sum)
	}

	out = f.must(t, "", "workshop", "remove", "maps", "101")
	if !strings.Contains(out, "removed 1 item(s)") || !strings.Contains(out, "generation 000003-") {
		t.Errorf("remove output:\n%s", out)
	}

	// Item 102's first revision is superseded; gc with a tiny grace removes it.
	out = f.must(t, "", "workshop", "gc", "--grace", "1ns")
	if !strings.Contains(out, filepath.Join("workshop", "102", "2000")) || !strings.Contains(out, "1 old revision(s) removed") {
		t.Errorf("gc output:\n%s", out)
	}

	// Queued instead of run here: one add job; a second refresh is a no-op.
	if out := f.must(t, "", "workshop", "add", "--queue", "maps", "101"); !strings.Contains(out, "queued job") {
		t.Errorf("add --queue output: %q", out)
	}
	if out := f.must(t, "", "workshop", "refresh", "--queue"); !strings.Contains(out, "queued job") {
		t.Errorf("refresh --queue output: %q", out)
	}
	if out := f.must(t, "", "workshop", "refresh", "--queue"); !strings.Contains(out, "already queued or running") {
		t.Errorf("second refresh --queue output: %q", out)
	}

	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"workshop"}, 2, "missing subcommand"},
		{[]string{"workshop", "add", "maps"}, 2, "at least one item"},
		{[]string{"workshop", "add", "Bad!", "1"}, 1, "invalid layer id"},
		{[]string{"workshop", "add", "maps", "https://example.com/?id=1"}, 1, "not a Workshop item id or URL"},
		{[]string{"workshop", "show", "nope"}, 1, `no workshop layer "nope"`},
		{[]string{"workshop", "frobnicate"}, 2, "unknown subcommand"},
		{[]string{"workshop", "gc", "--grace", "-1s"}, 2, "--grace must be positive"},
	} {
		code, _, errOut := f.run(t, "", tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.msg) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, errOut, tc.code, tc.msg)
		}
	}

	f.env["STEAM_API_BASE"] = "ftp://x"
	if code, _, errOut := f.run(t, "", "workshop", "refresh"); code != 1 || !strings.Contains(errOut, "STEAM_API_BASE") {
		t.Errorf("bad STEAM_API_BASE: exit %d, %q", code, errOut)
	}
}

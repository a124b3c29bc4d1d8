package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/content"
	"github.com/left4me/left4me/internal/steamcmd"
	"github.com/left4me/left4me/internal/views"
	"github.com/left4me/left4me/internal/workshop/workshoptest"
)

// TestWorkshopSteamPipeItemCLI: `left4me workshop add` fetches an item
// without a usable file_url through steamcmd (the stand-in, found as
// `left4me install` finds it); when steamcmd fails, add exits non-zero
// naming the item and `workshop show` says it is not in the layer and why.
func TestWorkshopSteamPipeItemCLI(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "fakesteamcmd")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := steamcmd.BuildFake(ctx, bin); err != nil {
		t.Fatal(err)
	}
	failing := filepath.Join(dir, "failing-steamcmd.sh")
	if err := os.WriteFile(failing, []byte("#!/bin/sh\nFAKESTEAMCMD_WORKSHOP_FAIL=all exec '"+bin+"' \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	fake := workshoptest.New(t)
	fake.SetItem(workshoptest.Item{ID: 101, Title: "Plain", TimeUpdated: 1000, Data: workshoptest.MakeVPK(t, "Plain", "plain_m1")})
	fake.SetItem(workshoptest.Item{ID: 102, Title: "Pipe", TimeUpdated: 2000, Data: workshoptest.MakeVPK(t, "Pipe", "pipe_m1"), Hosting: workshoptest.HostPreviewURL})

	f := newCLIFixture(t)
	t.Cleanup(func() { content.RemoveTree(f.root.String()) })
	f.env["STEAM_API_BASE"] = fake.URL()
	f.env["LEFT4ME_BUILD_SANDBOX"] = "none"

	// steamcmd fails: add exits 1 naming the item; show flags it.
	f.env["LEFT4ME_STEAMCMD"] = failing
	code, out, errOut := f.run(t, "", "workshop", "add", "maps", "101", "102")
	if code != 1 || !strings.Contains(out, "item 102: FAILED: item 102: file_url is the item's preview image") ||
		!strings.Contains(out, "Download item 102 failed (Failure)") || !strings.Contains(errOut, "could not be downloaded") {
		t.Fatalf("add with a failing steamcmd: exit %d\n%s\n%s", code, out, errOut)
	}
	out = f.must(t, "", "workshop", "show", "maps")
	if !strings.Contains(out, "item 102 is NOT IN THE LAYER: item 102: file_url is the item's preview image") || !strings.Contains(out, "Download item 102 failed (Failure)") {
		t.Errorf("show:\n%s", out)
	}
	var shown views.WorkshopLayer
	if err := json.Unmarshal([]byte(f.must(t, "", "workshop", "show", "maps", "--json")), &shown); err != nil {
		t.Fatal(err)
	}
	if shown.Flagged != 1 || len(shown.Items) != 2 || shown.Items[1].Revision != "" || !strings.Contains(shown.Items[1].Error, "steamcmd") {
		t.Errorf("show --json = %+v", shown)
	}

	// steamcmd works: the next add gets the item into the layer.
	f.env["LEFT4ME_STEAMCMD"] = bin
	out = f.must(t, "", "workshop", "add", "maps", "102")
	if !strings.Contains(out, "item 102: downloaded revision 2000") {
		t.Errorf("add with steamcmd:\n%s", out)
	}
	shown = views.WorkshopLayer{}
	if err := json.Unmarshal([]byte(f.must(t, "", "workshop", "show", "maps", "--json")), &shown); err != nil {
		t.Fatal(err)
	}
	if shown.Flagged != 0 || shown.Items[1].Revision != "2000" || shown.Items[1].Error != "" {
		t.Errorf("show --json after steamcmd = %+v", shown)
	}
	if _, err := os.Stat(filepath.Join(f.root.Overlay("maps", shown.Generation), "left4dead2", "addons", "102.vpk")); err != nil {
		t.Error(err)
	}
}

package web

import (
	"archive/tar"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/left4me/left4me/internal/overlay"
)

// TestInstanceExport: the instance page offers the OCI image to those who
// may see the RCON password (the owner), not to an operator; the download
// is an OCI archive of the instance's stack with its cfgs; an instance whose
// generation is gone answers 409 naming it, and nothing is left behind.
func TestInstanceExport(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	alice := e.quickUser("alice", false)
	carol := e.quickUser("carol", false)
	in := e.mustCreate("alpha", alice)
	if err := e.st.SetShare(ctx, "alpha", carol.ID, "operator"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(e.root.Installation("1"), "srcds_run"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	a, c := e.as(alice), e.as(carol)

	if _, page := a.get("/instances/alpha"); !strings.Contains(page, `id="export-oci"`) {
		t.Error("the owner's instance page has no Download OCI image link")
	}
	if _, page := c.get("/instances/alpha"); strings.Contains(page, `id="export-oci"`) {
		t.Error("an operator's instance page offers the image, which holds the RCON password")
	}
	if resp, _ := c.get("/instances/alpha/export.tar"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("operator download = %d, want 403", resp.StatusCode)
	}

	resp, body := a.get("/instances/alpha/export.tar")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/x-tar" {
		t.Fatalf("download = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	files := map[string]bool{}
	tr := tar.NewReader(strings.NewReader(body))
	blobs := 0
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the download is not a tar: %v", err)
		}
		files[h.Name] = true
		if strings.HasPrefix(h.Name, "blobs/sha256/") && h.Typeflag == tar.TypeReg {
			blobs++
			data, _ := io.ReadAll(tr)
			if strings.Contains(string(data), "l4d2/left4dead2/cfg/left4me_launch.cfg") && !strings.Contains(string(data), in.RCONPassword) {
				t.Error("the config layer lacks the RCON password")
			}
		}
	}
	if !files["oci-layout"] || !files["index.json"] || blobs != 4 { // installation, config layer, image config, manifest
		t.Errorf("archive entries %v (%d blobs)", files, blobs)
	}

	// alpha's staged stack names an installation generation that is gone.
	env := overlay.Env{Port: in.Port, ClientPort: in.Port + 1, LowerDirs: []string{e.root.Installation("0")}}
	if err := overlay.WriteEnvFile(e.root.InstanceEnv("alpha"), env, -1, -1); err != nil {
		t.Fatal(err)
	}
	resp, body = a.get("/api/v1/instances/alpha/export.tar")
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "installation generation 0") {
		t.Errorf("export of a removed generation = %d:\n%s", resp.StatusCode, body)
	}
	left, _ := os.ReadDir(filepath.Join(e.root.String(), "cache", "oci", "tmp"))
	if len(left) != 0 {
		t.Errorf("the exports left %d temporary entries", len(left))
	}
}

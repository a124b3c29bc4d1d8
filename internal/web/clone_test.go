package web

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/left4me/left4me/internal/instance"
)

// TestCloneFromThePanel: the instance page's clone form makes a stopped
// copy owned by the caller; an account without the permission to create
// instances is refused however it may configure the source, with nothing
// created.
func TestCloneFromThePanel(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	olive := e.creator("olive")
	src := e.mustCreate("src", olive)
	adam := e.quickUser("adam", false) // an admin share, not a creator
	if err := e.st.SetShare(ctx, "src", adam.ID, "admin"); err != nil {
		t.Fatal(err)
	}
	_, page := e.as(olive).get("/instances/src")
	if !strings.Contains(page, `id="clone-form"`) || !strings.Contains(page, `href="/instances/src/diff"`) {
		t.Fatal("the instance page has no clone form or diff link")
	}
	resp, body := e.as(olive).post("/instances/src/clone", url.Values{"name": {"copy"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/instances/copy?done=cloned" {
		t.Fatalf("clone: %d %s\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	in, err := e.svc.Get(ctx, "copy")
	if err != nil || in.OwnerID != olive.ID || in.Port == src.Port || in.RCONPassword == src.RCONPassword {
		t.Fatalf("clone: %+v, %v", in, err)
	}
	resp, body = e.as(adam).post("/instances/src/clone", url.Values{"name": {"theirs"}})
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "administrator") {
		t.Errorf("clone without may-create: %d\n%s", resp.StatusCode, body)
	}
	if _, err := e.svc.Get(ctx, "theirs"); err == nil {
		t.Error("a refused clone was created")
	}
	resp, body = e.as(olive).do("POST", "/api/v1/instances/src/clone", `{"name": "copy"}`, nil)
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, `"field": "name"`) {
		t.Errorf("clone to an existing name: %d %s", resp.StatusCode, body)
	}
	// A file no copy can reproduce is the user's to remove: 409, named.
	if err := os.MkdirAll(e.root.Upper("src"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(e.root.Upper("src"), "pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	resp, body = e.as(olive).do("POST", "/api/v1/instances/src/clone", `{"name": "piped"}`, nil)
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "pipe") {
		t.Errorf("clone of an upper with a pipe: %d %s", resp.StatusCode, body)
	}
	if _, err := e.svc.Get(ctx, "piped"); err == nil {
		t.Error("a failed clone was created")
	}
}

// TestDiffAndRevertFromThePanel: the diff page lists a new file; revert is
// refused while the instance runs (409, field path, the file stays) and
// removes it once stopped.
func TestDiffAndRevertFromThePanel(t *testing.T) {
	e := newEnv(t)
	olive := e.creator("olive")
	e.mustCreate("d", olive)
	file := filepath.Join(e.root.Upper("d"), "left4dead2", "addons", "new.smx")
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte("plugin"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := e.as(olive)
	resp, body := c.get("/instances/d/diff")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-path="left4dead2/addons/new.smx" data-kind="new"`) {
		t.Fatalf("diff page: %d\n%s", resp.StatusCode, body)
	}
	resp, body = c.do("GET", "/api/v1/instances/d/diff", "", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"path": "left4dead2/addons/new.smx"`) {
		t.Fatalf("diff: %d %s", resp.StatusCode, body)
	}
	if err := e.sup.set("d", instance.Running); err != nil {
		t.Fatal(err)
	}
	resp, body = c.do("POST", "/api/v1/instances/d/revert", `{"path": "left4dead2/addons/new.smx"}`, nil)
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, `"field": "path"`) || !strings.Contains(body, "stop it first") {
		t.Errorf("revert while running: %d %s", resp.StatusCode, body)
	}
	if _, err := os.Stat(file); err != nil {
		t.Fatal("a refused revert removed the file")
	}
	if err := e.sup.set("d", instance.Stopped); err != nil {
		t.Fatal(err)
	}
	resp, body = c.post("/instances/d/revert", url.Values{"path": {"left4dead2/addons/new.smx"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/instances/d/diff?done=reverted" {
		t.Fatalf("revert: %d\n%s", resp.StatusCode, body)
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Error("the reverted file is still in the upper")
	}
}

// TestTemplatesFromThePanel: a template saved from the instance page is
// listed for its owner only, makes a new instance, and is removed.
func TestTemplatesFromThePanel(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	olive := e.creator("olive")
	other := e.creator("otto")
	e.mustCreate("base", olive)
	c := e.as(olive)
	resp, body := c.post("/instances/base/template", url.Values{"template": {"coop"}, "files": {"1"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", resp.StatusCode, body)
	}
	if _, body := c.get("/templates"); !strings.Contains(body, `data-template="coop"`) {
		t.Fatalf("the saved template is not listed:\n%s", body)
	}
	if _, body := e.as(other).get("/templates"); strings.Contains(body, `data-template="coop"`) {
		t.Error("another account sees the template")
	}
	resp, body = e.as(other).post("/templates/coop/create", url.Values{"name": {"stolen"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "no template named") {
		t.Errorf("another account's create from the template: %d\n%s", resp.StatusCode, body)
	}
	resp, body = c.post("/templates/coop/create", url.Values{"name": {"made"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/instances/made?done=created" {
		t.Fatalf("create from template: %d\n%s", resp.StatusCode, body)
	}
	if cfg, err := e.svc.ServerCfg(ctx, "made"); err != nil || cfg != "hostname base\n" {
		t.Errorf("made's server.cfg: %q, %v", cfg, err)
	}
	if resp, body := c.post("/templates/coop/delete", nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("remove: %d\n%s", resp.StatusCode, body)
	}
	if _, body := c.get("/templates"); !strings.Contains(body, `id="no-templates"`) {
		t.Errorf("removed template still listed:\n%s", body)
	}
}

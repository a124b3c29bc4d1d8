package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/left4me/left4me/internal/roles"
	"github.com/left4me/left4me/internal/store"
	"github.com/left4me/left4me/internal/views"
)

// TestBackupsThroughThePanel: the owner backs up from the page and the
// API, downloads the archive and restores it by upload (API and form) as
// a new instance with the same upper; an operator of the instance may do
// none of it; a tampered upload is refused naming nothing created.
func TestBackupsThroughThePanel(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	alice := e.quickUser("alice", false)
	if err := e.st.SetMayCreate(ctx, alice.ID, true); err != nil {
		t.Fatal(err)
	}
	bob := e.quickUser("bob", false)
	in := e.mustCreate("alpha", alice)
	data := filepath.Join(e.root.Upper("alpha"), "left4dead2", "addons", "data.txt")
	if err := os.MkdirAll(filepath.Dir(data), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(data, []byte("plugin data"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := roles.Grant(ctx, e.st, store.User{}, in, "bob", "operator"); err != nil {
		t.Fatal(err)
	}
	a, b := e.as(alice), e.as(bob)

	// The page's button, then the card lists it with a download link.
	if resp, body := a.post("/instances/alpha/backups", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("back up from the page: %d\n%s", resp.StatusCode, body)
	}
	_, page := a.get("/instances/alpha")
	if !strings.Contains(page, `id="backups"`) || !strings.Contains(page, `href="/instances/alpha/backups/alpha-`) {
		t.Fatalf("the instance page has no backups card with a download link:\n%s", page)
	}
	// The API.
	resp, body := a.do("POST", "/api/v1/instances/alpha/backups", `{"with_rcon_password": true}`, nil)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST backups: %d\n%s", resp.StatusCode, body)
	}
	var made views.Backup
	if err := json.Unmarshal([]byte(body), &made); err != nil || made.Size == 0 {
		t.Fatalf("backup answer %s: %v", body, err)
	}
	resp, archive := a.get(made.Download)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/zstd" || int64(len(archive)) != made.Size {
		t.Fatalf("download: %d %s, %d bytes, want %d", resp.StatusCode, resp.Header.Get("Content-Type"), len(archive), made.Size)
	}
	_, list := a.get("/api/v1/instances/alpha/backups")
	if strings.Count(list, `"file"`) != 2 {
		t.Errorf("list: %s", list)
	}
	// An operator may not back up, list or download.
	for _, c := range []struct{ method, path string }{{"POST", "/api/v1/instances/alpha/backups"}, {"GET", "/api/v1/instances/alpha/backups"}, {"GET", made.Download}} {
		if resp, _ := b.do(c.method, c.path, "", nil); resp.StatusCode != http.StatusForbidden {
			t.Errorf("operator %s %s: %d, want 403", c.method, c.path, resp.StatusCode)
		}
	}
	if _, page := b.get("/instances/alpha"); strings.Contains(page, `id="backups"`) {
		t.Errorf("the operator sees the backups card")
	}

	// Restore by API upload under a new name.
	resp, body = a.raw("POST", "/api/v1/restore?name=beta", "application/zstd", []byte(archive))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("restore: %d\n%s", resp.StatusCode, body)
	}
	var restored views.Restored
	if err := json.Unmarshal([]byte(body), &restored); err != nil || restored.Instance.Name != "beta" || restored.Instance.Owner != "alice" {
		t.Fatalf("restore answer %s: %v", body, err)
	}
	if got, _ := os.ReadFile(filepath.Join(e.root.Upper("beta"), "left4dead2", "addons", "data.txt")); string(got) != "plugin data" {
		t.Errorf("restored upper file: %q", got)
	}
	// The same name again: refused, naming it.
	resp, body = a.raw("POST", "/api/v1/restore?name=beta", "application/zstd", []byte(archive))
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, `"field": "name"`) {
		t.Errorf("restore over beta: %d\n%s", resp.StatusCode, body)
	}
	// A damaged archive (cut short: not every flipped byte changes what a
	// zstd stream decompresses to, see internal/backup's
	// TestRestoreRefusesEveryFlippedBit): refused, nothing created.
	bad := []byte(archive)[:len(archive)/2]
	resp, body = a.raw("POST", "/api/v1/restore?name=gamma", "application/zstd", bad)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("damaged restore: %d\n%s", resp.StatusCode, body)
	}
	if _, err := e.svc.Get(ctx, "gamma"); err == nil {
		t.Errorf("a damaged archive created gamma")
	}
	// The page's form.
	resp, body = a.upload("/instances/restore", map[string]string{"name": "delta"}, made.File, []byte(archive), true)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/instances/delta?done=restore" {
		t.Fatalf("restore form: %d %s\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	// The retention form, with a bad value naming its field.
	if resp, _ := a.post("/instances/alpha/backup-retention", url.Values{"keep_daily": {"2"}, "keep_weekly": {"1"}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("retention form: %d", resp.StatusCode)
	}
	resp, body = a.do("PUT", "/api/v1/instances/alpha/backup-retention", `{"keep_daily": 400}`, nil)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `"field": "keep_daily"`) {
		t.Errorf("retention 400: %d\n%s", resp.StatusCode, body)
	}
}

// raw sends body with its own content type (an API upload).
func (c *client) raw(method, path, ctype string, body []byte) (*http.Response, string) {
	c.e.t.Helper()
	req, err := http.NewRequest(method, c.e.ts.URL+path, bytes.NewReader(body))
	if err != nil {
		c.e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", ctype)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	} else if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

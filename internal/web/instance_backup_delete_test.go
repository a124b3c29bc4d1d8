package web

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/left4me/left4me/internal/roles"
	"github.com/left4me/left4me/internal/store"
	"github.com/left4me/left4me/internal/views"
)

// TestBackupDeleteThroughThePanel: the owner deletes a stored backup by
// the API (204) and by the card's Delete button; an unknown one is 404
// naming it; a path, another instance's backup and a file that is not a
// backup are refused naming the field; a viewer and an operator of the
// instance get 403. Nothing is removed by a refusal, and each delete is
// in the audit log with its file.
func TestBackupDeleteThroughThePanel(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	alice := e.quickUser("alice", false)
	bob := e.quickUser("bob", false)
	carol := e.quickUser("carol", false)
	in := e.mustCreate("alpha", alice)
	e.mustCreate("gamma", alice)
	for u, rl := range map[string]string{"bob": "operator", "carol": "viewer"} {
		if _, _, err := roles.Grant(ctx, e.st, store.User{}, in, u, rl); err != nil {
			t.Fatal(err)
		}
	}
	a := e.as(alice)
	made := func(name string) views.Backup {
		t.Helper()
		resp, body := a.do("POST", "/api/v1/instances/"+name+"/backups", "", nil)
		var b views.Backup
		if resp.StatusCode != http.StatusCreated || json.Unmarshal([]byte(body), &b) != nil {
			t.Fatalf("back up %s: %d\n%s", name, resp.StatusCode, body)
		}
		return b
	}
	dir := e.srv.cfg.Backups.(interface{ Dir() string }).Dir()
	first := made("alpha")
	// A second backup of alpha under another time (two made in the same
	// millisecond would share a name).
	second := "alpha-20260101T000000.000Z-scheduled.tar.zst"
	data, err := os.ReadFile(filepath.Join(dir, "alpha", first.File))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "alpha", second), data, 0o600); err != nil {
		t.Fatal(err)
	}
	other := made("gamma")
	notes := filepath.Join(dir, "alpha", "notes.txt")
	if err := os.WriteFile(notes, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	stored := func() []string {
		t.Helper()
		var files []string
		for _, n := range []string{"alpha", "gamma"} {
			list, err := e.srv.cfg.Backups.List(ctx, n)
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range list {
				files = append(files, b.File)
			}
		}
		return files
	}
	if got := stored(); len(got) != 3 {
		t.Fatalf("stored before: %q", got)
	}

	// Who may not: 403 on the API and on the page's route, nothing gone.
	for _, u := range []store.User{bob, carol} {
		c := e.as(u)
		if resp, body := c.do("DELETE", "/api/v1/instances/alpha/backups/"+first.File, "", nil); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s DELETE: %d, want 403\n%s", u.Name, resp.StatusCode, body)
		}
		if resp, _ := c.post("/instances/alpha/backups/"+first.File+"/delete", nil); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s POST …/delete: %d, want 403", u.Name, resp.StatusCode)
		}
	}
	// Refusals: the status, the field or the name, nothing gone.
	for _, c := range []struct {
		file   string
		status int
		want   string
	}{
		{"alpha-20250101T000000.000Z-manual.tar.zst", http.StatusNotFound, `alpha has no backup \"alpha-20250101T000000.000Z-manual.tar.zst\"`},
		{"..%2Fgamma%2F" + other.File, http.StatusUnprocessableEntity, `"field": "file"`},
		{other.File, http.StatusUnprocessableEntity, "is a backup of gamma, not of alpha"},
		{"notes.txt", http.StatusUnprocessableEntity, `"field": "file"`},
	} {
		resp, body := a.do("DELETE", "/api/v1/instances/alpha/backups/"+c.file, "", nil)
		if resp.StatusCode != c.status || !strings.Contains(body, c.want) {
			t.Errorf("DELETE %s: %d, want %d with %s\n%s", c.file, resp.StatusCode, c.status, c.want, body)
		}
	}
	if _, err := os.Stat(notes); err != nil {
		t.Errorf("a refused delete removed notes.txt: %v", err)
	}
	if got := stored(); len(got) != 3 {
		t.Fatalf("a refused delete removed a backup: %q", got)
	}

	// The API: 204, then it is gone, and again is 404.
	if resp, body := a.do("DELETE", "/api/v1/instances/alpha/backups/"+first.File, "", nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE %s: %d\n%s", first.File, resp.StatusCode, body)
	}
	if resp, _ := a.do("DELETE", "/api/v1/instances/alpha/backups/"+first.File, "", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("DELETE twice: %d, want 404", resp.StatusCode)
	}
	if got := stored(); strings.Join(got, " ") != second+" "+other.File {
		t.Errorf("after the API delete: %q", got)
	}

	// The card: a Delete button with a confirmation per backup; it deletes
	// and the page says so.
	_, page := a.get("/instances/alpha")
	form := `action="/instances/alpha/backups/` + second + `/delete"`
	if !strings.Contains(page, form) || !strings.Contains(page, `data-confirm="Delete the backup `+second) {
		t.Fatalf("the card has no Delete form for %s:\n%s", second, page)
	}
	resp, body := a.post("/instances/alpha/backups/"+second+"/delete", nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/instances/alpha?done=bdeleted#backups" {
		t.Fatalf("the Delete button: %d %s\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	_, page = a.get("/instances/alpha?done=bdeleted")
	if !strings.Contains(page, "Backup deleted.") || strings.Contains(page, form) || !strings.Contains(page, `id="backups-none"`) {
		t.Errorf("after the Delete button the page still lists the backup or says nothing:\n%s", page)
	}
	if got := stored(); strings.Join(got, " ") != other.File {
		t.Errorf("after the page's delete: %q", got)
	}

	// The audit log names each delete's backup.
	es, err := e.st.Audit(ctx, store.AuditFilter{Action: "instances.backups.delete", Actor: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	var done []string
	for _, en := range es {
		if en.Result == "" {
			done = append(done, en.Target)
		}
	}
	if strings.Join(done, " | ") != "instance:alpha backup:"+second+" | instance:alpha backup:"+first.File {
		t.Errorf("audit entries of the deletes: %q", done)
	}
}

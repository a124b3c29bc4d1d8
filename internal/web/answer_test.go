package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/left4me/left4me/internal/account"
	"github.com/left4me/left4me/internal/archive"
	"github.com/left4me/left4me/internal/backup"
	"github.com/left4me/left4me/internal/content"
	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/rcon"
)

// TestAnswerFor pins the one mapping from domain errors to HTTP answers.
func TestAnswerFor(t *testing.T) {
	_, portErr := instance.ParsePort("x")
	tests := []struct {
		name   string
		err    error
		status int
		field  string
		msg    string // "" for err.Error()
	}{
		{"instance field error", fmt.Errorf("create x: %w", portErr), http.StatusUnprocessableEntity, "port", "\"x\" is not a number; give a port or leave it empty to pick a free one"},
		{"account field error", account.ValidateName("a b"), http.StatusUnprocessableEntity, "name", ""},
		{"taken account name", account.Taken("root"), http.StatusConflict, "name", `user "root" already exists`},
		{"content field error", content.ValidateLayerID("Bad!"), http.StatusUnprocessableEntity, "id", ""},
		{"content refusal", fmt.Errorf("upload: %w", archive.ErrUnsafePath), http.StatusUnprocessableEntity, "", ""},
		{"not found", fmt.Errorf("%w: \"x\"", instance.ErrNotFound), http.StatusNotFound, "", ""},
		{"busy", instance.ErrBusy, http.StatusConflict, "", ""},
		{"port block taken at start", fmt.Errorf("%w: start x", instance.ErrPortUsed), http.StatusConflict, "", ""},
		{"stop failed", instance.ErrStopFailed, http.StatusBadGateway, "", ""},
		{"bad console command", fmt.Errorf("send: %w", rcon.ErrInvalid), http.StatusUnprocessableEntity, "command", ""},
		{"console of a stopped instance", fmt.Errorf("alpha is %w", rcon.ErrNotRunning), http.StatusConflict, "", ""},
		{"no console here", rcon.ErrUnavailable, http.StatusNotFound, "", ""},
		{"backups directory read-only", fmt.Errorf("backup of x: %w /srv/b: add ReadWritePaths=/srv/b", backup.ErrDirNotWritable), http.StatusServiceUnavailable, "", ""},
	}
	for _, tt := range tests {
		a, ok := answerFor(tt.err)
		want := tt.msg
		if want == "" {
			want = tt.err.Error()
			if tt.field != "" {
				want = strings.TrimPrefix(want, tt.field+": ")
			}
		}
		if !ok || a.status != tt.status || a.field != tt.field || a.msg != want {
			t.Errorf("%s: answerFor(%v) = %+v, %v; want %d %q %q", tt.name, tt.err, a, ok, tt.status, tt.field, want)
		}
	}
	if a, ok := answerFor(errors.New("disk on fire")); ok || a.status != http.StatusInternalServerError {
		t.Errorf("a server fault = %+v, %v; want 500 and not shown", a, ok)
	}
}

// TestErrorsAnswerAsTheRouteSays: the route table alone decides whether a
// route's errors are JSON or a page. Every non-public route is asked
// without credentials: API routes answer JSON {"error"}, pages redirect to
// the login (GET) or answer an HTML page.
func TestErrorsAnswerAsTheRouteSays(t *testing.T) {
	e := newEnv(t)
	c := e.newClient()
	n := 0
	for _, rt := range e.srv.routes {
		if rt.access == public {
			continue
		}
		n++
		method, path, _ := strings.Cut(rt.pattern, " ")
		path = strings.NewReplacer("{name}", "alpha", "{user}", "2", "{id}", "1", "{item}", "1", "{$}", "").Replace(path)
		resp, body := c.do(method, path, "", nil)
		ctype := resp.Header.Get("Content-Type")
		switch {
		case rt.api:
			var ae apiError
			if resp.StatusCode != http.StatusUnauthorized || ctype != "application/json" || json.Unmarshal([]byte(body), &ae) != nil || ae.Error == "" {
				t.Errorf("%s: %d %q %s; want 401 with a JSON error", rt.pattern, resp.StatusCode, ctype, body)
			}
		case method == http.MethodGet:
			if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
				t.Errorf("%s: %d to %q; want a redirect to the login", rt.pattern, resp.StatusCode, resp.Header.Get("Location"))
			}
		default:
			if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(ctype, "text/html") {
				t.Errorf("%s: %d %q; want 401 with a page", rt.pattern, resp.StatusCode, ctype)
			}
		}
	}
	if n < 40 {
		t.Errorf("only %d routes asked", n)
	}
}

package web

import (
	"net/http"
	"strings"
	"testing"
)

func TestPagesRender(t *testing.T) {
	e := newEnv(t)
	admin := e.quickUser("root", true)
	e.mustCreate("alpha", admin)
	c := e.as(admin)
	for _, path := range []string{"/instances", "/instances/new", "/instances/alpha", "/instances/alpha/edit",
		"/instances/alpha/cfg", "/instances/alpha/delete", "/account", "/admin/users", "/health"} {
		resp, body := c.get(path)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d:\n%s", path, resp.StatusCode, body)
		}
	}
	_, body := c.get("/instances/alpha")
	for _, want := range []string{"log line of alpha", "RCON console", `data-instance="alpha"`, "Reveal"} {
		if !strings.Contains(body, want) {
			t.Errorf("instance page lacks %q", want)
		}
	}
}

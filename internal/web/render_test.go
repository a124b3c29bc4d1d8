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

func TestOverlap(t *testing.T) {
	for _, tc := range []struct {
		tail, early []string
		want        int
	}{
		{nil, nil, 0},
		{[]string{"a", "b", "c"}, []string{"b", "c", "d"}, 2},
		{[]string{"a", "b", "c"}, []string{"d"}, 0},
		{[]string{"x", "x"}, []string{"x", "x", "x"}, 2},
		{[]string{"a"}, []string{"a"}, 1},
	} {
		if got := overlap(tc.tail, tc.early); got != tc.want {
			t.Errorf("overlap(%q, %q) = %d, want %d", tc.tail, tc.early, got, tc.want)
		}
	}
}

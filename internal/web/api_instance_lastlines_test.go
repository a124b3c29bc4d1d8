package web

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/left4me/left4me/internal/instance"
)

// TestAPIShowsLastLinesOfFailedInstance: a failed instance's JSON carries
// its last console lines; a running one's does not.
func TestAPIShowsLastLinesOfFailedInstance(t *testing.T) {
	e := newEnv(t)
	alice := e.quickUser("alice", false)
	e.mustCreate("alpha", alice)
	c := e.as(alice)
	get := func() map[string]any {
		t.Helper()
		resp, body := c.get("/api/v1/instances/alpha")
		if resp.StatusCode != 200 {
			t.Fatalf("GET = %d:\n%s", resp.StatusCode, body)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(body), &m); err != nil {
			t.Fatalf("%v:\n%s", err, body)
		}
		return m
	}
	e.sup.set("alpha", instance.Running)
	if m := get(); m["last_lines"] != nil || m["state"] != "running" {
		t.Errorf("running instance: state %v, last_lines %v", m["state"], m["last_lines"])
	}
	e.sup.set("alpha", instance.Failed)
	m := get()
	lines, _ := m["last_lines"].([]any)
	var got []string
	for _, l := range lines {
		s, _ := l.(string)
		got = append(got, s)
	}
	if m["state"] != "failed" || !slices.Equal(got, []string{"log line of alpha"}) {
		t.Errorf("failed instance: state %v, last_lines %q", m["state"], got)
	}
	if m["name"] != "alpha" || m["port"] == nil {
		t.Errorf("the instance's fields are missing: %v", m)
	}
}

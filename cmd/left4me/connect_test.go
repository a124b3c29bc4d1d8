package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/left4me/left4me/internal/views"
)

func TestParsePublicHost(t *testing.T) {
	for _, tt := range []struct{ in, want, err string }{
		{"", "", ""},
		{"  l4d.Example.com ", "l4d.example.com", ""},
		{"203.0.113.7", "203.0.113.7", ""},
		{"::ffff:203.0.113.7", "203.0.113.7", ""},
		{"0.0.0.0", "", "LEFT4ME_PUBLIC_HOST"},
		{"l4d.example.com:27015", "", "no port"},
		{"https://l4d.example.com", "", "no scheme"},
		{"-bad", "", "LEFT4ME_PUBLIC_HOST"},
		{"a b", "", "LEFT4ME_PUBLIC_HOST"},
	} {
		got, err := parsePublicHost(tt.in)
		if got != tt.want || (err == nil) != (tt.err == "") || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("parsePublicHost(%q) = %q, %v; want %q, error with %q", tt.in, got, err, tt.want, tt.err)
		}
	}
	if _, err := loadConfig(envFunc(map[string]string{envPublicHost: "x:1"})); err == nil || !strings.Contains(err.Error(), envPublicHost) {
		t.Errorf("loadConfig with a bad %s: %v", envPublicHost, err)
	}
}

// TestInstanceShowConnect: instance show prints "connect HOST:PORT" and the
// steam:// link, and --json and list --json carry them, with
// LEFT4ME_PUBLIC_HOST's host.
func TestInstanceShowConnect(t *testing.T) {
	f := newCLIFixture(t)
	f.env[envPublicHost] = "l4d.example.com"
	f.must(t, "password-one\n", "user", "create", "alice")
	f.must(t, "", "instance", "create", "vs1", "--owner", "alice", "--port", "23020")
	out := f.must(t, "", "instance", "show", "vs1")
	if !regexp.MustCompile(`(?m)^connect:\s+connect l4d\.example\.com:23020\s+\(steam://connect/l4d\.example\.com:23020\)$`).MatchString(out) {
		t.Errorf("instance show:\n%s\nwant the connect line", out)
	}
	var show views.Instance
	if err := json.Unmarshal([]byte(f.must(t, "", "instance", "show", "vs1", "--json")), &show); err != nil ||
		show.Connect != "l4d.example.com:23020" || show.SteamConnect != "steam://connect/l4d.example.com:23020" {
		t.Errorf("instance show --json: %+v, %v", show, err)
	}
	var list []views.Instance
	if err := json.Unmarshal([]byte(f.must(t, "", "instance", "list", "--json")), &list); err != nil || len(list) != 1 || list[0].Connect != "l4d.example.com:23020" {
		t.Errorf("instance list --json: %+v, %v", list, err)
	}
}

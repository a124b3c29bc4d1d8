package process

import (
	"slices"
	"testing"
)

// Servers get the environment the command passed in, without left4me's own
// variables; with none passed in they get an empty one, never this
// process's (a nil exec.Cmd.Env would inherit it).
func TestServerEnv(t *testing.T) {
	tests := []struct {
		base, want []string
	}{
		{base: nil, want: []string{}},
		{
			base: []string{"PATH=/usr/bin", "LEFT4ME_ADMIN_PASSWORD=secret", "DATABASE_URL=/x.db", "STEAM_WEB_API_KEY=k", "LEFT4ME_ROOT=/r", "LANG=C.UTF-8"},
			want: []string{"PATH=/usr/bin", "LANG=C.UTF-8"},
		},
	}
	for _, tc := range tests {
		got := serverEnv(tc.base)
		if got == nil || !slices.Equal(got, tc.want) {
			t.Errorf("serverEnv(%q) = %#v, want %#v", tc.base, got, tc.want)
		}
	}
	// The namespace child gets the marker on top of the server's
	// environment, and nothing of this process's.
	cmd := namespaceCommand(`{"mode":"probe"}`, []string{"A=1"})
	if want := []string{"A=1", ChildEnv + `={"mode":"probe"}`}; !slices.Equal(cmd.Env, want) {
		t.Errorf("namespace child env = %q, want %q", cmd.Env, want)
	}
}

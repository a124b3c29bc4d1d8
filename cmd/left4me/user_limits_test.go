package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/left4me/left4me/internal/views"
)

// TestUserLimitsCommands (issue 15, finding 15): `user update` sets an
// account's limits; `instance create` past the limit fails naming it and
// creates nothing; after a raise it succeeds. Bad values name the flag's
// field.
func TestUserLimitsCommands(t *testing.T) {
	f := newCLIFixture(t)
	f.env[adminPasswordEnv] = "password-one"
	f.must(t, "", "user", "create", "root", "--admin")
	f.must(t, "", "user", "create", "bob")
	delete(f.env, adminPasswordEnv)

	var users []views.User
	if err := json.Unmarshal([]byte(f.must(t, "", "user", "list", "--json")), &users); err != nil {
		t.Fatal(err)
	}
	want := []views.User{
		{Name: "bob", MaxInstances: 3, MaxInstancesDefault: true, MaxRunning: 2, MaxRunningDefault: true},
		{Name: "root", Admin: true, MaxInstances: -1, MaxInstancesDefault: true, MaxRunning: -1, MaxRunningDefault: true, MayCreate: true},
	}
	for i, u := range users {
		u.CreatedAt = want[i].CreatedAt
		if u != want[i] {
			t.Errorf("user list: %+v, want %+v", u, want[i])
		}
	}

	if out := f.must(t, "", "user", "update", "bob", "--max-instances", "1"); !strings.Contains(out, "max instances 1, max running default (2)") {
		t.Errorf("user update: %q", out)
	}
	f.must(t, "", "instance", "create", "b1", "--owner", "bob")
	code, _, errOut := f.run(t, "", "instance", "create", "b2", "--owner", "bob")
	if code != 1 || !strings.Contains(errOut, `user "bob" may own at most 1 instances (max instances)`) {
		t.Errorf("create past the limit: exit %d, %q", code, errOut)
	}
	if out := f.must(t, "", "instance", "list", "--names"); strings.Contains(out, "b2") {
		t.Error("the refused instance exists")
	}
	// An administrator has no limit by default.
	for _, name := range []string{"r1", "r2", "r3", "r4"} {
		f.must(t, "", "instance", "create", name, "--owner", "root")
	}

	for _, tt := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"user", "update", "bob", "--max-running", "many"}, 1, "max_running: \"many\" is not a limit"},
		{[]string{"user", "update", "bob", "--max-instances", "-3"}, 1, "max_instances: \"-3\" is not a limit"},
		{[]string{"user", "update", "bob"}, 2, "give --max-instances or --max-running"},
		{[]string{"user", "update", "nobody", "--max-running", "1"}, 1, `no user "nobody"`},
	} {
		if code, _, errOut := f.run(t, "", tt.args...); code != tt.code || !strings.Contains(errOut, tt.msg) {
			t.Errorf("%v: exit %d, %q; want exit %d mentioning %q", tt.args, code, errOut, tt.code, tt.msg)
		}
	}

	// The raise: --max-running is kept as it was.
	if out := f.must(t, "", "user", "update", "bob", "--max-instances", "unlimited"); !strings.Contains(out, "max instances unlimited, max running default (2)") {
		t.Errorf("user update: %q", out)
	}
	f.must(t, "", "instance", "create", "b2", "--owner", "bob")
	f.must(t, "", "user", "update", "bob", "--max-instances", "default", "--max-running", "0")
	if out := f.must(t, "", "user", "list"); !strings.Contains(out, "default (3)") || !strings.Contains(out, "unlimited") {
		t.Errorf("user list: %q", out)
	}
}

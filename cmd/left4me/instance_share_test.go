package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/left4me/left4me/internal/store"
	"github.com/left4me/left4me/internal/views"
)

// shareState reads alpha's shares from the fixture's database.
func shareState(t *testing.T, f *cliFixture) string {
	t.Helper()
	var out []string
	f.withStore(t, func(st *store.Store) {
		shares, err := st.Shares(context.Background(), "alpha")
		if err != nil {
			t.Fatal(err)
		}
		for _, sh := range shares {
			out = append(out, sh.User.Name+"="+sh.Role)
		}
	})
	return strings.Join(out, ",")
}

// TestInstanceShareCommands: share and unshare under the panel's rules
// (internal/roles); bad input (an unknown role, an unknown account, the
// owner itself, an administrator, no --role) fails with the field named and
// changes nothing.
func TestInstanceShareCommands(t *testing.T) {
	f := newCLIFixture(t)
	f.env[adminPasswordEnv] = "password-one"
	f.must(t, "", "user", "create", "root", "--admin")
	f.must(t, "", "user", "create", "olive")
	f.must(t, "", "user", "create", "bob")
	delete(f.env, adminPasswordEnv)
	f.must(t, "", "instance", "create", "alpha", "--owner", "olive")

	for _, tt := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"instance", "share", "alpha", "bob", "--role", "boss"}, 1, `left4me instance share: role: "boss" is not a role: use viewer, operator or admin`},
		{[]string{"instance", "share", "alpha", "bob"}, 1, `role: "" is not a role`},
		{[]string{"instance", "share", "alpha", "nobody", "--role", "viewer"}, 1, `user: no account named "nobody"`},
		{[]string{"instance", "share", "alpha", "olive", "--role", "viewer"}, 1, "user: olive owns alpha and may already do everything with it"},
		{[]string{"instance", "share", "alpha", "root", "--role", "viewer"}, 1, "user: root is an administrator"},
		{[]string{"instance", "share", "nope", "bob", "--role", "viewer"}, 1, "nope"},
		{[]string{"instance", "share", "alpha", "--role", "viewer"}, 2, "want 2 argument(s)"},
		{[]string{"instance", "unshare", "alpha", "bob"}, 1, "bob has no share of alpha"},
	} {
		if code, _, errOut := f.run(t, "", tt.args...); code != tt.code || !strings.Contains(errOut, tt.msg) {
			t.Errorf("%v: exit %d, %q; want exit %d mentioning %q", tt.args, code, errOut, tt.code, tt.msg)
		}
		if got := shareState(t, f); got != "" {
			t.Fatalf("%v changed the shares: %s", tt.args, got)
		}
	}

	if out := f.must(t, "", "instance", "share", "alpha", "bob", "--role", "Operator"); !strings.Contains(out, "shared alpha with bob as operator") {
		t.Errorf("share: %q", out)
	}
	var sh views.Share
	if err := json.Unmarshal([]byte(f.must(t, "", "instance", "share", "alpha", "bob", "--role", "viewer", "--json")), &sh); err != nil {
		t.Fatal(err)
	}
	if sh.User != "bob" || sh.Role != "viewer" || strings.Join(sh.Permissions, ",") != "view" {
		t.Errorf("share --json = %+v", sh)
	}
	if got := shareState(t, f); got != "bob=viewer" {
		t.Errorf("shares after share = %q, want bob=viewer", got)
	}
	before := f.rconPassword(t, "alpha")
	if out := f.must(t, "", "instance", "unshare", "alpha", "bob"); !strings.Contains(out, "withdrew the share of alpha from bob") || !strings.Contains(out, "applies at the next start") {
		t.Errorf("unshare: %q", out)
	}
	if got := shareState(t, f); got != "" {
		t.Errorf("shares after unshare = %q", got)
	}
	if f.rconPassword(t, "alpha") == before {
		t.Error("unshare kept the RCON password")
	}
}

// TestUserMayCreateCommand: --may-create on|off sets the account
// permission; a bad value names the field and changes nothing; user list
// shows it.
func TestUserMayCreateCommand(t *testing.T) {
	f := newCLIFixture(t)
	f.env[adminPasswordEnv] = "password-one"
	f.must(t, "", "user", "create", "bob")
	delete(f.env, adminPasswordEnv)
	mayCreate := func() bool {
		var users []views.User
		if err := json.Unmarshal([]byte(f.must(t, "", "user", "list", "--json")), &users); err != nil {
			t.Fatal(err)
		}
		return users[0].MayCreate
	}
	if mayCreate() {
		t.Fatal("a new account may create instances")
	}
	if code, _, errOut := f.run(t, "", "user", "update", "bob", "--may-create", "perhaps"); code != 1 || !strings.Contains(errOut, `may_create: "perhaps" is not a setting: use on or off`) {
		t.Errorf("bad --may-create: exit %d, %q", code, errOut)
	}
	if mayCreate() {
		t.Error("a refused --may-create changed the account")
	}
	if out := f.must(t, "", "user", "update", "bob", "--may-create", "on"); !strings.Contains(out, "may create instances: yes") {
		t.Errorf("user update: %q", out)
	}
	if !mayCreate() {
		t.Error("--may-create on did not allow it")
	}
	if out := f.must(t, "", "user", "list"); !strings.Contains(out, "MAY CREATE") {
		t.Errorf("user list: %q", out)
	}
	if code, _, errOut := f.run(t, "", "user", "update", "nobody", "--may-create", "on"); code != 1 || !strings.Contains(errOut, `no user "nobody"`) {
		t.Errorf("unknown user: exit %d, %q", code, errOut)
	}
}

// withStore opens the fixture's database for fn.
func (f *cliFixture) withStore(t *testing.T, fn func(st *store.Store)) {
	t.Helper()
	st, err := store.Open(context.Background(), strings.TrimPrefix(f.env["DATABASE_URL"], "sqlite://"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	fn(st)
}

// rconPassword reads an instance's stored RCON password.
func (f *cliFixture) rconPassword(t *testing.T, name string) string {
	t.Helper()
	var pw string
	f.withStore(t, func(st *store.Store) {
		in, err := st.InstanceByName(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		pw = in.RCONPassword
	})
	return pw
}

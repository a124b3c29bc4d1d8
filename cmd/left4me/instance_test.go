package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/store"
	"github.com/left4me/left4me/internal/views"
)

// cliFixture runs the CLI's run function against a temp state root, a temp
// database and the process supervisor (no systemd here).
type cliFixture struct {
	root layout.Root
	env  map[string]string
}

func newCLIFixture(t *testing.T) *cliFixture {
	t.Helper()
	root, err := layout.New(filepath.Join(t.TempDir(), "state"))
	if err != nil {
		t.Fatal(err)
	}
	return &cliFixture{root: root, env: map[string]string{
		"LEFT4ME_ROOT":             root.String(),
		"DATABASE_URL":             "sqlite://" + filepath.Join(t.TempDir(), "db", "left4me.db"),
		"LEFT4ME_SUPERVISOR":       "process",
		"LEFT4ME_PORT_RANGE_START": "23015",
		"LEFT4ME_PORT_RANGE_END":   "23099",
	}}
}

// run runs the CLI and returns its exit code, stdout and stderr.
func (f *cliFixture) run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := &cliEnv{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut, getenv: envFunc(f.env)}
	code := run(context.Background(), env, args)
	return code, out.String(), errOut.String()
}

// must runs the CLI and fails the test unless it exits 0.
func (f *cliFixture) must(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	code, out, errOut := f.run(t, stdin, args...)
	if code != 0 {
		t.Fatalf("left4me %s: exit %d\n%s", strings.Join(args, " "), code, errOut)
	}
	return out
}

func TestUserCommands(t *testing.T) {
	f := newCLIFixture(t)
	f.must(t, "password-one\n", "user", "create", "alice", "--admin")
	f.env[adminPasswordEnv] = "password-two"
	f.must(t, "", "user", "create", "bob")
	delete(f.env, adminPasswordEnv)

	var users []views.User
	if err := json.Unmarshal([]byte(f.must(t, "", "user", "list", "--json")), &users); err != nil {
		t.Fatal(err)
	}
	if len(users) != 2 || users[0].Name != "alice" || !users[0].Admin || users[1].Name != "bob" || users[1].Admin {
		t.Errorf("user list = %+v", users)
	}
	if out := f.must(t, "", "user", "list"); !strings.Contains(out, "alice") || !strings.Contains(out, "bob") {
		t.Errorf("user list text = %q", out)
	}

	tests := []struct {
		name  string
		stdin string
		args  []string
		code  int
		msg   string
	}{
		{"duplicate", "password-x\n", []string{"user", "create", "alice"}, 1, "already exists"},
		{"short password", "short\n", []string{"user", "create", "carol"}, 1, "too short"},
		{"no password", "", []string{"user", "create", "carol"}, 1, "no password"},
		{"bad name", "password-x\n", []string{"user", "create", "a b"}, 1, "invalid user name"},
		{"missing name", "", []string{"user", "create"}, 2, "usage"},
		{"unknown subcommand", "", []string{"user", "frobnicate"}, 2, "unknown subcommand"},
		{"passwd of nobody", "password-x\n", []string{"user", "passwd", "nobody"}, 1, `no user "nobody"`},
		{"delete nobody", "", []string{"user", "delete", "nobody"}, 1, `no user "nobody"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := f.run(t, tt.stdin, tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.msg) {
				t.Errorf("exit %d, stderr %q; want exit %d mentioning %q", code, errOut, tt.code, tt.msg)
			}
		})
	}
	if code, _, _ := f.run(t, "", "user", "list"); code != 0 {
		t.Fatal("list failed")
	}
	if out := f.must(t, "", "user", "list"); strings.Contains(out, "carol") {
		t.Error("a refused user was created")
	}

	f.must(t, "new-password-1\n", "user", "passwd", "bob")
	f.must(t, "", "user", "delete", "bob")
	if out := f.must(t, "", "user", "list"); strings.Contains(out, "bob") {
		t.Errorf("bob still listed: %q", out)
	}
}

func TestInstanceCommands(t *testing.T) {
	f := newCLIFixture(t)
	f.must(t, "password-one\n", "user", "create", "alice")
	for _, dir := range []string{f.root.Overlay("zonemod", "1"), f.root.Installation("1")} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cfgFile := filepath.Join(t.TempDir(), "server.cfg")
	os.WriteFile(cfgFile, []byte("hostname \"Versus\"\n"), 0o644)

	f.must(t, "", "instance", "create", "vs1", "--owner", "alice", "--layer", "zonemod", "--cfg", cfgFile, "--", "+map", "c5m1_waterfront", "-tickrate", "100")
	f.must(t, "hostname \"from stdin\"\n", "instance", "create", "vs2", "--port", "23050", "--owner", "alice", "--cfg", "-")

	tests := []struct {
		name string
		args []string
		code int
		msg  string // must appear on stderr
		gone string // instance that must not exist afterwards
	}{
		{"bad name", []string{"instance", "create", "Bad.Name", "--owner", "alice"}, 1, `"Bad.Name"`, ""},
		{"negative log lines", []string{"instance", "logs", "vs1", "-n", "-3"}, 2, "-n -3: must not be negative", ""},
		{"bad name and owner", []string{"instance", "create", "Bad.Name", "--owner", "mallory"}, 1, `instance create: name: invalid instance name "Bad.Name"`, ""},
		{"duplicate", []string{"instance", "create", "vs1", "--owner", "alice"}, 1, `instance create: name: an instance named "vs1" already exists`, ""},
		{"port used", []string{"instance", "create", "vs3", "--owner", "alice", "--port", "23050"}, 1, `instance create: port: the instance's block 23050-23051 overlaps instance "vs2"`, "vs3"},
		{"missing layer", []string{"instance", "create", "vs4", "--owner", "alice", "--layer", "nosuch"}, 1, `layer "nosuch"`, "vs4"},
		{"unknown owner", []string{"instance", "create", "vs5", "--owner", "mallory"}, 1, `no user "mallory"`, "vs5"},
		{"no owner", []string{"instance", "create", "vs6"}, 2, "--owner is required", "vs6"},
		{"bad port", []string{"instance", "create", "vs7", "--owner", "alice", "--port", "99999"}, 1, "instance create: port: 99999 is not a port number", "vs7"},
		{"managed arg", []string{"instance", "create", "vs8", "--owner", "alice", "--", "+hostport", "1"}, 1, "+hostport", "vs8"},
		{"show missing", []string{"instance", "show", "nope"}, 1, "instance not found", ""},
		{"delete without --yes", []string{"instance", "delete", "vs2"}, 2, "--yes", ""},
		{"start with the process supervisor", []string{"instance", "start", "vs1"}, 1, "LEFT4ME_SUPERVISOR=process", ""},
		{"unknown subcommand", []string{"instance", "explode"}, 2, "unknown subcommand", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := f.run(t, "", tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.msg) {
				t.Errorf("exit %d, stderr %q; want exit %d mentioning %q", code, errOut, tt.code, tt.msg)
			}
			if tt.gone != "" {
				for _, p := range []string{f.root.Instance(tt.gone), f.root.Runtime(tt.gone)} {
					if _, err := os.Lstat(p); err == nil {
						t.Errorf("%s was created by a refused create", p)
					}
				}
			}
		})
	}

	var list []views.Instance
	if err := json.Unmarshal([]byte(f.must(t, "", "instance", "list", "--json")), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Name != "vs1" || list[0].Port != 23015 || list[0].Owner != "alice" ||
		list[0].State != "stopped" || strings.Join(list[0].Layers, ",") != "zonemod" ||
		strings.Join(list[0].Args, " ") != "+map c5m1_waterfront -tickrate 100" || list[0].RCONPassword != "" ||
		list[1].Name != "vs2" || list[1].Port != 23050 {
		t.Errorf("instance list = %+v", list)
	}

	var show views.Instance
	if err := json.Unmarshal([]byte(f.must(t, "", "instance", "show", "vs1", "--json")), &show); err != nil {
		t.Fatal(err)
	}
	if show.Name != "vs1" || show.State != "stopped" || show.RCONPassword != "" {
		t.Errorf("show = %+v", show)
	}
	if out := f.must(t, "", "instance", "show", "vs1"); strings.Contains(out, "rcon password") {
		t.Errorf("show printed the RCON password without --show-secret:\n%s", out)
	}
	if err := json.Unmarshal([]byte(f.must(t, "", "instance", "show", "vs1", "--json", "--show-secret")), &show); err != nil || len(show.RCONPassword) < 20 {
		t.Errorf("show --show-secret: %+v, %v", show, err)
	}

	if out := f.must(t, "", "instance", "cfg", "vs2"); out != "hostname \"from stdin\"\n" {
		t.Errorf("cfg = %q", out)
	}
	f.must(t, "hostname \"new\"\n", "instance", "cfg", "vs2", "--set", "-")
	if out := f.must(t, "", "instance", "cfg", "vs2"); out != "hostname \"new\"\n" {
		t.Errorf("cfg after --set = %q", out)
	}
	f.must(t, "", "instance", "update", "vs2", "--port", "23060", "--layer", "zonemod", "--", "+map", "c1m1_hotel")
	if err := json.Unmarshal([]byte(f.must(t, "", "instance", "show", "vs2", "--json")), &show); err != nil ||
		show.Port != 23060 || strings.Join(show.Layers, ",") != "zonemod" || strings.Join(show.Args, " ") != "+map c1m1_hotel" {
		t.Errorf("after update: %+v, %v", show, err)
	}
	if out := f.must(t, "", "instance", "layers"); !strings.Contains(out, "zonemod") {
		t.Errorf("layers = %q", out)
	}

	// Several names: each is stopped, a failure is named and makes the
	// exit status non-zero without stopping the others.
	code, out, errOut := f.run(t, "", "instance", "stop", "vs2", "nosuch")
	if code != 1 || !strings.Contains(out, "stopped vs2") || !strings.Contains(errOut, "1 of 2 failed") || !strings.Contains(errOut, "nosuch") {
		t.Errorf("stop vs2 nosuch: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if out := f.must(t, "", "instance", "stop", "vs1", "vs2"); !strings.Contains(out, "stopped vs1") || !strings.Contains(out, "stopped vs2") {
		t.Errorf("stop vs1 vs2: %q", out)
	}

	// Stop and delete work with the process supervisor; delete is idempotent
	// over a partial delete.
	f.must(t, "", "instance", "stop", "vs1")
	os.RemoveAll(f.root.Runtime("vs1"))
	f.must(t, "", "instance", "delete", "vs1", "--yes")
	if code, _, errOut := f.run(t, "", "instance", "delete", "vs1", "--yes"); code != 1 || !strings.Contains(errOut, "not found") {
		t.Errorf("second delete: exit %d %q", code, errOut)
	}
	if _, err := os.Lstat(f.root.Instance("vs1")); err == nil {
		t.Error("instances/vs1 left after delete")
	}
}

// TestUserPasswdRevokesTokens: user passwd revokes the account's API
// tokens by default, as the panel's form does; --revoke-tokens=false keeps
// them.
func TestUserPasswdRevokesTokens(t *testing.T) {
	f := newCLIFixture(t)
	f.must(t, "password-one\n", "user", "create", "alice")
	ctx := context.Background()
	dbPath := strings.TrimPrefix(f.env["DATABASE_URL"], "sqlite://")
	tokenWorks := func(hash string) bool {
		st, err := store.Open(ctx, dbPath)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		_, _, err = st.UserByAPIToken(ctx, hash)
		return err == nil
	}
	addToken := func(hash string) {
		st, err := store.Open(ctx, dbPath)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		u, err := st.UserByName(ctx, "alice")
		if err == nil {
			_, err = st.CreateAPIToken(ctx, u.ID, hash, hash)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	addToken("kept")
	out := f.must(t, "password-two\n", "user", "passwd", "alice", "--revoke-tokens=false")
	if !tokenWorks("kept") || !strings.Contains(out, "kept") {
		t.Errorf("--revoke-tokens=false: token revoked or not said (%q)", out)
	}
	out = f.must(t, "password-three\n", "user", "passwd", "alice")
	if tokenWorks("kept") || !strings.Contains(out, "1 API token(s) revoked") {
		t.Errorf("user passwd: token still works or not said (%q)", out)
	}
}

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/left4me/left4me/internal/views"
)

// TestCloneDiffTemplateCommands: clone, diff, revert and templates from
// the command line, and their refusals: the field named, exit 1, nothing
// changed.
func TestCloneDiffTemplateCommands(t *testing.T) {
	f := newCLIFixture(t)
	f.must(t, "password-one\n", "user", "create", "olive")
	f.must(t, "", "user", "update", "olive", "--max-instances", "unlimited")
	if err := os.MkdirAll(filepath.Join(f.root.Installation("1"), "left4dead2", "cfg"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(f.root.Installation("1"), "left4dead2", "cfg", "game.cfg"), []byte("a\nb\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f.must(t, "hostname alpha\n", "instance", "create", "alpha", "--owner", "olive", "--cfg", "-", "--", "+map", "c1m1_hotel")
	upper := f.root.Upper("alpha")
	if err := os.MkdirAll(filepath.Join(upper, "left4dead2", "cfg"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(upper, "left4dead2", "cfg", "game.cfg"), []byte("a\nc\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	out := f.must(t, "", "instance", "diff", "alpha")
	for _, want := range []string{"changed", "left4dead2/cfg/game.cfg", "installation 1", "-b\n+c\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("diff lacks %q:\n%s", want, out)
		}
	}
	var d struct {
		Changes []views.Change `json:"changes"`
	}
	if err := json.Unmarshal([]byte(f.must(t, "", "instance", "diff", "alpha", "--json")), &d); err != nil || len(d.Changes) != 1 || d.Changes[0].Kind != "changed" {
		t.Errorf("diff --json: %+v, %v", d, err)
	}

	schemas := apiSchemas(t)
	for _, c := range decodeOut[map[string][]any](t, f.must(t, "", "instance", "diff", "alpha", "--json"))["changes"] {
		conforms(t, schemas, "Change", "instance diff --json", c)
	}

	out = f.must(t, "", "instance", "clone", "alpha", "beta", "--port", "auto")
	if !strings.Contains(out, "cloned alpha as beta on port 230") {
		t.Errorf("clone: %s", out)
	}
	if b, err := os.ReadFile(filepath.Join(f.root.Upper("beta"), "left4dead2", "cfg", "game.cfg")); err != nil || string(b) != "a\nc\n" {
		t.Errorf("the clone's file: %q, %v", b, err)
	}
	if f.rconPassword(t, "beta") == f.rconPassword(t, "alpha") {
		t.Error("the clone has its source's RCON password")
	}

	f.must(t, "", "template", "save", "alpha", "tpl", "--files")
	if out := f.must(t, "", "template", "list"); !strings.Contains(out, "tpl") || !strings.Contains(out, "olive") {
		t.Errorf("template list: %s", out)
	}
	tpls := decodeOut[[]any](t, f.must(t, "", "template", "list", "--json"))
	if len(tpls) != 1 {
		t.Errorf("template list --json: %v", tpls)
	}
	for _, v := range tpls {
		conforms(t, schemas, "Template", "template list --json", v)
	}
	conforms(t, schemas, "Instance", "instance clone --json",
		decodeOut[any](t, f.must(t, "", "instance", "clone", "alpha", "epsilon", "--json")))
	f.must(t, "", "instance", "create", "gamma", "--owner", "olive", "--from-template", "tpl")
	if b, err := os.ReadFile(filepath.Join(f.root.Upper("gamma"), "left4dead2", "cfg", "game.cfg")); err != nil || string(b) != "a\nc\n" {
		t.Errorf("from the template: %q, %v", b, err)
	}

	for _, tt := range []struct {
		args []string
		msg  string
	}{
		{[]string{"instance", "clone", "alpha", "beta"}, `name: an instance named "beta" already exists`},
		{[]string{"instance", "clone", "nope", "delta"}, `"nope"`},
		{[]string{"instance", "diff", "nope"}, `instance not found: "nope"`},
		{[]string{"instance", "revert", "alpha", "../instances"}, `path: "../instances" leads outside the upper`},
		{[]string{"instance", "revert", "alpha", "left4dead2/none"}, `path: "left4dead2/none" is not in the upper of alpha`},
		{[]string{"template", "save", "alpha", "tpl"}, `template: a template named "tpl" already exists`},
		{[]string{"instance", "create", "delta", "--owner", "olive", "--from-template", "nope"}, `template: no template named "nope"`},
	} {
		if code, _, errOut := f.run(t, "", tt.args...); code != 1 || !strings.Contains(errOut, tt.msg) {
			t.Errorf("%v: exit %d, %q; want exit 1 mentioning %q", tt.args, code, errOut, tt.msg)
		}
	}
	if code, out, _ := f.run(t, "", "instance", "show", "delta"); code == 0 {
		t.Errorf("a refused create made delta:\n%s", out)
	}

	f.must(t, "", "instance", "revert", "alpha", "left4dead2/cfg/game.cfg")
	if out := f.must(t, "", "instance", "diff", "alpha"); !strings.Contains(out, "nothing differs") {
		t.Errorf("after revert: %s", out)
	}
	f.must(t, "", "template", "remove", "tpl")
	if out := f.must(t, "", "template", "list"); strings.Contains(out, "tpl") {
		t.Errorf("removed template listed: %s", out)
	}
}

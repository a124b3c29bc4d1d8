package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// readOnlyArgs are the positional arguments each read-only verb needs.
var readOnlyArgs = map[string][]string{
	"left4me instance show":    {"vs1"},
	"left4me instance cfg":     {"vs1"},
	"left4me instance logs":    {"vs1"},
	"left4me job show":         {"1"},
	"left4me overlay show":     {"example"},
	"left4me workshop show":    {"maps"},
	"left4me instance list":    {"--json"},
	"left4me overlay list":     {"--json"},
	"left4me workshop list":    {"--json"},
	"left4me user list":        {"--json"},
	"left4me job list":         {"--json"},
	"left4me instance layers":  nil,
	"left4me schedule list":    {"--json"},
	"left4me instance maps":    {"vs1"},
	"left4me player show":      {"STEAM_1:0:1"},
	"left4me instance diff":    {"vs1"},
	"left4me template list":    {"--json"},
	"left4me instance backups": {"vs1"},
	"left4me instance history": {"vs1"},
	"left4me instance events":  {"vs1"},
	"left4me ban list":         {"--json"},
}

// TestReadOnlyCommandsCreateNothing runs every verb the table marks
// ReadOnly, and install --list, against an empty state root and a missing
// one (LEFT4ME_ROOT unset too, as root on a fresh host): each exits 1,
// names the root it looked at, and creates nothing.
func TestReadOnlyCommandsCreateNothing(t *testing.T) {
	var cmds [][]string
	commandTable().walk(func(c *Command) {
		if !c.ReadOnly {
			return
		}
		args, ok := readOnlyArgs[c.Path()]
		if !ok {
			t.Errorf("%s is read-only but readOnlyArgs has no arguments for it", c.Path())
		}
		cmds = append(cmds, append(strings.Fields(c.Path())[1:], args...))
	})
	if len(cmds) < len(readOnlyArgs) {
		t.Errorf("the table marks %d verbs read-only; want at least %d", len(cmds), len(readOnlyArgs))
	}
	cmds = append(cmds, []string{"install", "--list"}, []string{"instance", "list", "--names"})

	for _, kind := range []string{"empty", "missing"} {
		parent := t.TempDir()
		root := filepath.Join(parent, "state")
		if kind == "empty" {
			if err := os.Mkdir(root, 0o750); err != nil {
				t.Fatal(err)
			}
		}
		for _, args := range cmds {
			var out, errOut bytes.Buffer
			env := &cliEnv{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut,
				getenv: envFunc(map[string]string{"LEFT4ME_ROOT": root, "LEFT4ME_SUPERVISOR": "process"})}
			code := run(context.Background(), env, args)
			line := strings.Join(args, " ")
			if code != 1 || !strings.Contains(errOut.String(), root) {
				t.Errorf("%s root: left4me %s: exit %d, stderr %q; want 1 and a message naming %s", kind, line, code, errOut.String(), root)
			}
			if kind == "missing" && !strings.Contains(errOut.String(), "does not exist") {
				t.Errorf("left4me %s: stderr %q does not say the root does not exist", line, errOut.String())
			}
			if kind == "empty" && !strings.Contains(errOut.String(), "has no database") {
				t.Errorf("left4me %s: stderr %q does not say the root has no database", line, errOut.String())
			}
			assertTree(t, parent, kind, line)
		}
	}
}

// assertTree fails when parent holds anything but an empty "state"
// directory (kind "empty") or nothing at all (kind "missing").
func assertTree(t *testing.T, parent, kind, line string) {
	t.Helper()
	var found []string
	filepath.WalkDir(parent, func(p string, d os.DirEntry, err error) error {
		if p != parent {
			rel, _ := filepath.Rel(parent, p)
			found = append(found, rel)
		}
		return nil
	})
	want := map[string][]string{"empty": {"state"}, "missing": nil}[kind]
	if strings.Join(found, ",") != strings.Join(want, ",") {
		t.Errorf("%s root: left4me %s left %v behind; want %v", kind, line, found, want)
	}
}

// TestReadOnlyDefaultRoot runs instance list without LEFT4ME_ROOT: it names
// the default root, and as a user that may not create it, still says only
// that it is missing (the test skips where the default root exists).
func TestReadOnlyDefaultRoot(t *testing.T) {
	if _, err := os.Stat("/var/lib/left4me"); err == nil {
		t.Skip("/var/lib/left4me exists on this host")
	}
	code, _, errOut := runCLI(t, "instance", "list")
	if code != 1 || !strings.Contains(errOut, "/var/lib/left4me does not exist") || !strings.Contains(errOut, "LEFT4ME_ROOT") {
		t.Errorf("instance list without LEFT4ME_ROOT: exit %d, stderr %q", code, errOut)
	}
	if _, err := os.Stat("/var/lib/left4me"); err == nil {
		os.RemoveAll("/var/lib/left4me")
		t.Error("instance list created /var/lib/left4me")
	}
}

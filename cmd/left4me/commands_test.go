package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
)

var updateREADME = flag.Bool("update-readme", false, "rewrite the command list of README.md from the command table")

// verbs returns every verb of the table (the commands that Run).
func verbs(root *Command) []*Command {
	var out []*Command
	root.walk(func(c *Command) {
		if c.Run != nil {
			out = append(out, c)
		}
	})
	return out
}

// TestEveryCommandHasHelp fails when an entry of the command table lacks
// its usage or one-line help, is both a group and a verb (or neither),
// repeats a name, or declares its flags where the help cannot read them.
func TestEveryCommandHasHelp(t *testing.T) {
	root := commandTable()
	n := 0
	root.walk(func(c *Command) {
		n++
		if c.UsageLine == "" || c.Name() == "" {
			t.Errorf("a command under %q has no UsageLine", c.parent.Path())
			return
		}
		if strings.TrimSpace(c.Short) == "" || strings.Contains(c.Short, "\n") {
			t.Errorf("%s: Short = %q, want one line of help", c.Path(), c.Short)
		}
		if c.parent != nil && (c.Run == nil) == (len(c.Commands) == 0) {
			t.Errorf("%s: want either Run (a verb) or Commands (a group)", c.Path())
		}
		seen := map[string]bool{}
		for _, sub := range c.Commands {
			if seen[sub.Name()] {
				t.Errorf("%s: two entries named %q", c.Path(), sub.Name())
			}
			seen[sub.Name()] = true
		}
		fs, err := c.flags()
		if err != nil {
			t.Error(err)
			return
		}
		if fs == nil {
			return
		}
		fs.VisitAll(func(f *flag.Flag) {
			if strings.TrimSpace(f.Usage) == "" {
				t.Errorf("%s: flag %s has no help", c.Path(), flagName(f))
			}
			// The usage line names every flag the verb takes.
			if !strings.Contains(c.UsageLine, flagName(f)) {
				t.Errorf("%s: usage %q does not mention %s", c.Path(), c.UsageLine, flagName(f))
			}
		})
	})
	if n < 40 {
		t.Errorf("the table has %d entries; want every command and verb", n)
	}
}

// TestHelpNamesEveryVerb checks the verbs the hand-written help used to
// leave out, and that help and --help print every verb's usage and help.
func TestHelpNamesEveryVerb(t *testing.T) {
	code, out, _ := runCLI(t, "help")
	if code != 0 {
		t.Fatalf("left4me help: exit %d", code)
	}
	for _, v := range []string{"update", "logs", "layers", "autostart", "create-script", "set-script", "delete", "remove", "show", "gc", "completion"} {
		if !strings.Contains(out, v) {
			t.Errorf("left4me help does not name %q:\n%s", v, out)
		}
	}
	for _, c := range verbs(commandTable()) {
		path := strings.Fields(c.Path())[1:]
		for _, args := range [][]string{append([]string{"help"}, path...), append(path, "--help")} {
			code, out, errOut := runCLI(t, args...)
			if code != 0 || !strings.Contains(out, "usage: "+c.Usage()+"\n") || !strings.Contains(out, c.Short) {
				t.Errorf("left4me %s: exit %d, stdout %q, stderr %q; want its usage and help", strings.Join(args, " "), code, out, errOut)
			}
		}
	}
}

func TestHelpAndUsageErrors(t *testing.T) {
	tests := []struct {
		args     []string
		code     int
		stdout   string // a line stdout contains
		stderr   string // a line stderr contains
		noStdout bool
	}{
		{args: []string{"help"}, code: 0, stdout: "  instance     manage game-server instances: create, update,"},
		{args: []string{"--help"}, code: 0, stdout: "commands:"},
		{args: nil, code: 2, stderr: "commands:", noStdout: true},
		{args: []string{"help", "instance"}, code: 0, stdout: "  left4me instance autostart\n"},
		{args: []string{"instance", "help"}, code: 0, stdout: "  left4me instance autostart\n"},
		{args: []string{"instance", "-h"}, code: 0, stdout: "  left4me instance autostart\n"},
		{args: []string{"help", "instance", "create"}, code: 0, stdout: "  --owner string          the user who owns the instance (required)\n"},
		{args: []string{"instance", "create", "--help"}, code: 0, stdout: "  --owner string          the user who owns the instance (required)\n"},
		{args: []string{"instance", "create", "vs1", "-h", "--owner", "x"}, code: 0, stdout: "usage: left4me instance create NAME"},
		{args: []string{"instance", "help", "logs"}, code: 0, stdout: "  -n int    how many past lines (default 100)\n"},
		{args: []string{"help", "instance", "--help"}, code: 0, stdout: "  left4me instance autostart\n"},
		{args: []string{"help", "--help"}, code: 0, stdout: "usage: left4me help [COMMAND [VERB]]"},
		{args: []string{"job", "--help"}, code: 0, stdout: "STATE is one of queued"},
		{args: []string{"exec-server", "--help"}, code: 0, stdout: "usage: left4me exec-server NAME [SRCDS-ARGS...]"},
		{args: []string{"completion", "bash", "--help"}, code: 0, stdout: "usage: left4me completion bash"},
		// Unknown commands print the nearest usage and exit 2.
		{args: []string{"frobnicate"}, code: 2, stderr: `left4me: usage: unknown command "frobnicate"`, noStdout: true},
		{args: []string{"instnace"}, code: 2, stderr: `unknown command "instnace" (did you mean "instance"?)`, noStdout: true},
		{args: []string{"instance", "frob"}, code: 2, stderr: "  left4me instance create NAME", noStdout: true},
		{args: []string{"overlay", "set-scr"}, code: 2, stderr: `unknown subcommand "set-scr" (did you mean "set-script"?)`, noStdout: true},
		{args: []string{"help", "instance", "frob"}, code: 2, stderr: "  left4me instance create NAME", noStdout: true},
		{args: []string{"help", "frob"}, code: 2, stderr: `left4me has no command "frob"`, noStdout: true},
		{args: []string{"instance"}, code: 2, stderr: "left4me instance: usage: missing subcommand", noStdout: true},
		{args: []string{"job", "list", "--bogus"}, code: 2, stderr: "usage: left4me job list [--state STATE]", noStdout: true},
		{args: []string{"job", "show"}, code: 2, stderr: "left4me job: usage: want 1 argument(s), got 0", noStdout: true},
		{args: []string{"demo", "extra"}, code: 2, stderr: "usage: left4me demo", noStdout: true},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, out, errOut := runCLI(t, tt.args...)
			if code != tt.code || !strings.Contains(out, tt.stdout) || !strings.Contains(errOut, tt.stderr) || (tt.noStdout && out != "") {
				t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s\nwant exit %d, stdout with %q, stderr with %q", code, out, errOut, tt.code, tt.stdout, tt.stderr)
			}
		})
	}
}

// runCLI runs the CLI with an empty environment.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := &cliEnv{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }}
	code := run(context.Background(), env, args)
	return code, out.String(), errOut.String()
}

// writeCommandsMarkdown writes the README's command list: every group and
// verb of the table with its usage and one-line help.
func writeCommandsMarkdown(w io.Writer, root *Command) {
	for _, c := range root.Commands {
		fmt.Fprintf(w, "- `%s`: %s\n", usageOrPath(c), c.Short)
		for _, v := range c.Commands {
			fmt.Fprintf(w, "  - `%s`: %s\n", v.Usage(), v.Short)
		}
	}
}

func usageOrPath(c *Command) string {
	if len(c.Commands) > 0 {
		return c.Path()
	}
	return c.Usage()
}

// TestREADMECommands fails when the README's command list differs from the
// table; go generate (-update-readme) rewrites it.
func TestREADMECommands(t *testing.T) {
	const readme = "../../README.md"
	const begin, end = "<!-- commands:begin", "<!-- commands:end -->"
	b, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	i := strings.Index(text, begin)
	j := strings.Index(text, end)
	if i < 0 || j < i {
		t.Fatalf("README.md has no %q ... %q section", begin, end)
	}
	i += strings.Index(text[i:], "\n") + 1
	var want bytes.Buffer
	writeCommandsMarkdown(&want, commandTable())
	if text[i:j] == want.String() {
		return
	}
	if *updateREADME {
		if err := os.WriteFile(readme, []byte(text[:i]+want.String()+text[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's command list differs from the command table; run go generate ./cmd/left4me\nREADME:\n%s\ntable:\n%s", text[i:j], want.String())
}

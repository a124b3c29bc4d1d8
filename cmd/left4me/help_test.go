package main

import (
	"strings"
	"testing"
)

// TestHelpExitsZeroEverywhere walks the command table: every command,
// group and verb asked for help in every spelling, alone or after other
// arguments, prints its usage on stdout and exits 0, with nothing on
// stderr (no stray usage line, no "flag: help requested").
func TestHelpExitsZeroEverywhere(t *testing.T) {
	n := 0
	commandTable().walk(func(c *Command) {
		path := strings.Fields(c.Path())[1:]
		var cases [][]string
		for _, h := range []string{"-h", "-help", "--help", "--help=true", "-h=1"} {
			cases = append(cases, append(append([]string{}, path...), h))
			if c.Run != nil && !c.RawArgs {
				// After a positional argument and a flag: demo --dir x --help.
				cases = append(cases, append(append([]string{}, path...), "x", h))
			}
		}
		for _, args := range cases {
			n++
			code, out, errOut := runCLI(t, args...)
			if code != 0 || !strings.HasPrefix(out, "usage: "+c.Usage()+"\n") || errOut != "" {
				t.Errorf("left4me %s: exit %d, stdout %.80q, stderr %q; want exit 0, the usage on stdout, nothing on stderr", strings.Join(args, " "), code, out, errOut)
			}
		}
	})
	if n < 200 {
		t.Errorf("asked %d times; want every command in every spelling", n)
	}
	// The flag values stay usable: --help after -- is an argument.
	if wantsHelp(&Command{}, []string{"--", "--help"}) {
		t.Error("--help after -- asks for help")
	}
}

package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// The demo's help says what it creates and how to remove it.
func TestDemoHelpSaysWhatItCreates(t *testing.T) {
	code, out, errOut := runCLI(t, "demo", "--help")
	if code != 0 {
		t.Fatalf("left4me demo --help: exit %d\n%s", code, errOut)
	}
	for _, want := range []string{"./left4me-demo", "stand-in game installation", "account admin", "coop", "versus", "rm -rf ./left4me-demo", "no Go toolchain"} {
		if !strings.Contains(out, want) {
			t.Errorf("left4me demo --help does not say %q:\n%s", want, out)
		}
	}
}

// Only the engine's name or the hidden command run the stand-in; every
// other command line goes to the command table.
func TestEmbeddedCommandDispatch(t *testing.T) {
	for _, tc := range []struct {
		argv []string
		want bool
	}{
		{[]string{"/x/installations/demo/srcds_linux", "-game", "left4dead2"}, true},
		{[]string{"./srcds_linux", "-h"}, true},
		{[]string{"left4me", "fakesrcds", "-h"}, true},
		{[]string{"left4me", "demo"}, false},
		{[]string{"left4me", "instance", "fakesrcds"}, false},
		{[]string{"left4me"}, false},
		{[]string{"srcds_run", "-h"}, false},
	} {
		if got := isEmbedded(tc.argv); got != tc.want {
			t.Errorf("isEmbedded(%q) = %v, want %v", tc.argv, got, tc.want)
		}
	}
	var out, errOut bytes.Buffer
	code, ok := embeddedCommand(context.Background(), []string{"left4me", "fakesrcds", "--help"}, &out, &errOut)
	if !ok || code != 0 || !strings.Contains(out.String(), "stand-in game server") {
		t.Errorf("left4me fakesrcds --help: ok %v, exit %d\n%s%s", ok, code, out.String(), errOut.String())
	}
	out.Reset()
	// A bad srcds command line fails like the engine, with exit 1.
	code, ok = embeddedCommand(context.Background(), []string{"srcds_linux", "+ip", "not-an-address"}, &out, &errOut)
	if !ok || code != 1 || !strings.Contains(errOut.String(), "fakesrcds:") {
		t.Errorf("srcds_linux +ip not-an-address: ok %v, exit %d\n%s%s", ok, code, out.String(), errOut.String())
	}
}

package process

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/overlay"
)

// TestArgvMatchesUnit: the development supervisor runs the srcds_run
// command line of the unit's ExecStart=, with the variables of instance.env
// expanded as systemd does (${VAR} as one word, $VAR split).
func TestArgvMatchesUnit(t *testing.T) {
	data, err := os.ReadFile("../../deploy/systemd/left4me-server@.service")
	if err != nil {
		t.Fatal(err)
	}
	var execStart string
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "ExecStart="); ok {
			execStart = v
		}
	}
	if execStart == "" {
		t.Fatal("no ExecStart= in the unit")
	}
	env := overlay.Env{LowerDirs: []string{"/x"}, Port: 27017, ClientPort: 27018, Args: []string{"+map", "c2m1_highway"}}
	merged := layout.Root("/var/lib/left4me").Merged("vs")
	words := strings.Fields(strings.ReplaceAll(execStart, "%i", "vs"))
	// The unit's main process is "left4me exec-server NAME ARGS...", which
	// replaces itself with merged/srcds_run ARGS... (cmd/left4me/execserver.go).
	if len(words) < 3 || words[1] != "exec-server" || words[2] != "vs" {
		t.Fatalf("ExecStart= does not run left4me exec-server %%i: %q", execStart)
	}
	words = append([]string{merged + "/srcds_run"}, words[3:]...)
	var unitArgv []string
	for _, w := range words {
		switch w {
		case "${L4D2_PORT}":
			w = "27017"
		case "${L4D2_CLIENT_PORT}":
			w = "27018"
		case "$L4D2_ARGS":
			unitArgv = append(unitArgv, env.Args...)
			continue
		}
		unitArgv = append(unitArgv, w)
	}
	got, err := serverArgv(merged, "0.0.0.0", env)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, unitArgv) {
		t.Errorf("supervisor runs\n  %q\nthe unit runs\n  %q", got, unitArgv)
	}
	env.ClientPort = 0
	if _, err := serverArgv("/m", "0.0.0.0", env); err == nil || !strings.Contains(err.Error(), overlay.KeyClientPort) {
		t.Errorf("no client port: %v", err)
	}
}

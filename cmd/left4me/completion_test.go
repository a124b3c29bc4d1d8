package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBashCompletion checks the generated script with bash -n, then runs
// its completion function in a real bash with COMP_WORDS as bash sets them,
// a stand-in left4me answering `instance list --names`.
func TestBashCompletion(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash is not installed")
	}
	code, script, errOut := runCLI(t, "completion", "bash")
	if code != 0 {
		t.Fatalf("left4me completion bash: exit %d\n%s", code, errOut)
	}
	file := filepath.Join(t.TempDir(), "left4me.bash")
	if err := os.WriteFile(file, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bash, "-n", file).CombinedOutput(); err != nil {
		t.Fatalf("bash -n: %v\n%s", err, out)
	}

	tests := []struct {
		words []string // the last is the word being completed
		want  string   // COMPREPLY, space-separated
	}{
		{[]string{""}, "demo serve migrate user instance template schedule ban job install overlay workshop webhook player export audit doctor exec-server completion help"},
		{[]string{"inst"}, "instance install"},
		{[]string{"instance", "c"}, "create cfg clone"},
		{[]string{"overlay", "set"}, "set-script"},
		{[]string{"instance", "create", "--o"}, "--owner"},
		{[]string{"instance", "logs", "vs1", "-"}, "--help --follow -n"},
		{[]string{"instance", "start", ""}, "coop versus"},
		{[]string{"instance", "stop", "coop", "v"}, "versus"},
		{[]string{"instance", "show", "--json", "c"}, "coop"},
		{[]string{"instance", "list", ""}, ""},
		{[]string{"help", "ins"}, "instance install"},
		{[]string{"help", "workshop", "r"}, "remove refresh"},
		{[]string{"completion", ""}, "bash"},
		// A flag's value and the srcds arguments after -- are left to bash
		// (file names).
		{[]string{"instance", "cfg", "coop", "--set", ""}, ""},
		{[]string{"instance", "create", "vs1", "--", "-"}, ""},
		{[]string{"frob", ""}, ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.words, " "), func(t *testing.T) {
			words := append([]string{"left4me"}, tt.words...)
			quoted := make([]string, len(words))
			for i, w := range words {
				quoted[i] = "'" + w + "'"
			}
			prog := `set -u
source "$1"
left4me() { [[ "$*" == "instance list --names" ]] && printf 'coop\nversus\n'; }
COMP_WORDS=(` + strings.Join(quoted, " ") + `)
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
_left4me
echo "${COMPREPLY[*]}"
`
			out, err := exec.Command(bash, "-c", prog, "bash", file).CombinedOutput()
			if err != nil {
				t.Fatalf("bash: %v\n%s", err, out)
			}
			if got := strings.TrimSpace(string(out)); got != tt.want {
				t.Errorf("COMPREPLY = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestInstanceListNames checks the names the completion offers: one a
// line, from the real database, with flags after or before the verb.
func TestInstanceListNames(t *testing.T) {
	f := newCLIFixture(t)
	// Without a database it fails and creates nothing.
	if code, out, _ := f.run(t, "", "instance", "list", "--names"); code != 1 || out != "" {
		t.Errorf("instance list --names without a database: exit %d, stdout %q", code, out)
	}
	if _, err := os.Stat(f.root.String()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("instance list --names created the state root: %v", err)
	}
	f.must(t, "password-one\n", "user", "create", "alice")
	if out := f.must(t, "", "instance", "list", "--names"); out != "" {
		t.Errorf("no instances: %q", out)
	}
	if err := os.MkdirAll(f.root.Installation("1"), 0o755); err != nil {
		t.Fatal(err)
	}
	f.must(t, "", "instance", "create", "vs2", "--owner", "alice")
	f.must(t, "", "instance", "create", "--owner", "alice", "coop")
	if out := f.must(t, "", "instance", "list", "--names"); out != "coop\nvs2\n" {
		t.Errorf("instance list --names = %q, want \"coop\\nvs2\\n\"", out)
	}
}

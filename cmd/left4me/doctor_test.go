package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/left4me/left4me/internal/doctor"
)

func doctorEnv(t *testing.T, vars map[string]string) (*cliEnv, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	var out, errb bytes.Buffer
	return &cliEnv{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(k string) string { return vars[k] }}, &out, &errb
}

func TestDoctorUsage(t *testing.T) {
	for _, args := range [][]string{{"doctor", "--bogus"}, {"doctor", "extra"}} {
		env, _, errb := doctorEnv(t, nil)
		if code := run(context.Background(), env, args); code != 2 {
			t.Errorf("%v: exit %d, want 2 (usage)\n%s", args, code, errb)
		}
	}
}

// TestDoctorJSONOnThisMachine runs the real checks against an empty state
// root: every check reports, nothing is created, and the failures make the
// exit code 1.
func TestDoctorJSONOnThisMachine(t *testing.T) {
	root := filepath.Join(t.TempDir(), "state")
	env, out, errb := doctorEnv(t, map[string]string{"LEFT4ME_ROOT": root, "LEFT4ME_LISTEN": "127.0.0.1:1"})
	code := run(context.Background(), env, []string{"doctor", "--json"})
	var rep doctor.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s\n%s", err, out, errb)
	}
	if len(rep.Checks) != len(doctor.CheckNames) {
		t.Fatalf("%d checks, want %d:\n%s", len(rep.Checks), len(doctor.CheckNames), out)
	}
	for i, c := range rep.Checks {
		if c.Name != doctor.CheckNames[i] || c.Status == "" {
			t.Errorf("check %d = %+v", i, c)
		}
	}
	// The state root is missing and nothing listens on port 1.
	if !rep.Failed || code != 1 || !strings.Contains(errb.String(), "failed") {
		t.Errorf("exit %d, failed %v, stderr %q; want 1 with a failure", code, rep.Failed, errb)
	}
	if _, err := os.Stat(root); !os.IsNotExist(err) {
		t.Errorf("the doctor created the state root (%v)", err)
	}
}

func TestDoctorProbeNeedsSystemd(t *testing.T) {
	env, out, _ := doctorEnv(t, map[string]string{"LEFT4ME_ROOT": t.TempDir(), "LEFT4ME_SUPERVISOR": "process", "LEFT4ME_LISTEN": "127.0.0.1:1"})
	run(context.Background(), env, []string{"doctor", "--probe"})
	if !strings.Contains(out.String(), "fail  probe-create") || !strings.Contains(out.String(), "LEFT4ME_SUPERVISOR=systemd") {
		t.Errorf("--probe with the process supervisor:\n%s", out)
	}
}

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSummaryOfARealRun runs `go test -json` on a small module with a
// passing, a failing and two skipping tests, and checks the lines, the
// summary with each skip's reason, and the exit status.
func TestSummaryOfARealRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go tool")
	}
	dir := t.TempDir()
	files := map[string]string{
		"go.mod": "module example.com/m\n\ngo 1.22\n",
		"a/a_test.go": `package a

import "testing"

func TestPass(t *testing.T) {}
func TestNeedsRoot(t *testing.T) { t.Skip("needs root: overlay mounts") }
func TestSub(t *testing.T) {
	t.Run("inner", func(t *testing.T) { t.Skipf("needs %s", "chromium") })
}
`,
		"b/b_test.go": `package b

import "testing"

func TestBroken(t *testing.T) { t.Log("the detail"); t.Fatal("went wrong") }
`,
	}
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var out, errs bytes.Buffer
	wd, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	code := runCommand([]string{"go", "test", "-json", "-count=1", "./..."}, &out, &errs)
	if err := os.Chdir(wd); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{
		"ok  \texample.com/m/a",
		"FAIL\texample.com/m/b",
		"went wrong",
		"the detail",
		"tests: 2 passed, 1 failed, 2 skipped",
		"skipped:\n",
		"example.com/m/a TestNeedsRoot: a_test.go:6: needs root: overlay mounts\n",
		"example.com/m/a TestSub/inner: a_test.go:8: needs chromium\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "=== RUN") {
		t.Errorf("output has the -json run lines:\n%s", got)
	}
	if code != 1 {
		t.Errorf("exit status %d with a failing test, want 1", code)
	}
}

// TestReasonDropsFrameworkLines: the reason is what the test said.
func TestReasonDropsFrameworkLines(t *testing.T) {
	got := reason([]string{"=== RUN   TestX\n", "    x_test.go:3: needs root\n", "--- SKIP: TestX (0.00s)\n"})
	if got != "x_test.go:3: needs root" {
		t.Errorf("reason = %q", got)
	}
	if got := reason(nil); got != "(no reason given)" {
		t.Errorf("reason of nothing = %q", got)
	}
}

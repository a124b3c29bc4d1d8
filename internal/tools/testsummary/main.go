// Command testsummary runs `go test -json` (the command after --) and
// prints what plain `go test` prints — a line per package, and the output
// of the tests that fail — then a summary: how many tests passed, failed
// and were skipped, and every skipped test with its reason. `make test`
// runs the tests through it (README: root-only tests skip with a reason).
// Its exit status is the test command's, and 1 when a test failed though
// the command said otherwise.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action     string
	Package    string
	Test       string
	Output     string
	ImportPath string
}

// skip is one skipped test and why.
type skip struct{ pkg, test, reason string }

// summary collects the events of a run.
type summary struct {
	out                    io.Writer
	passed, failed, broken int
	skips                  []skip
	pending                map[string][]string // output of running tests, by package and name
}

func newSummary(out io.Writer) *summary {
	return &summary{out: out, pending: map[string][]string{}}
}

// add takes one event: package lines and build errors are printed as they
// come, a failed test's output when it fails.
func (s *summary) add(e event) {
	key := e.Package + "\x00" + e.Test
	switch {
	case e.Action == "build-output":
		fmt.Fprint(s.out, e.Output)
	case e.Test == "" && e.Action == "output":
		if e.Output != "PASS\n" { // plain go test prints only the ok line
			fmt.Fprint(s.out, e.Output)
		}
	case e.Test == "" && e.Action == "fail":
		s.broken++
	case e.Test == "":
	case e.Action == "output":
		s.pending[key] = append(s.pending[key], e.Output)
	case e.Action == "pass":
		s.passed++
		delete(s.pending, key)
	case e.Action == "fail":
		s.failed++
		for _, l := range s.pending[key] {
			if !strings.HasPrefix(l, "=== ") { // -json's run, pause and cont lines
				fmt.Fprint(s.out, l)
			}
		}
		delete(s.pending, key)
	case e.Action == "skip":
		s.skips = append(s.skips, skip{e.Package, e.Test, reason(s.pending[key])})
		delete(s.pending, key)
	}
}

// reason is what a skipped test said: its output without the framework's
// own === and --- lines.
func reason(lines []string) string {
	var kept []string
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "=== ") || strings.HasPrefix(t, "--- ") {
			continue
		}
		kept = append(kept, t)
	}
	if len(kept) == 0 {
		return "(no reason given)"
	}
	return strings.Join(kept, " ")
}

// report prints the totals and the skipped tests, grouped by package.
func (s *summary) report() {
	fmt.Fprintf(s.out, "\ntests: %d passed, %d failed, %d skipped", s.passed, s.failed, len(s.skips))
	if s.broken > s.failed {
		fmt.Fprintf(s.out, "; %d package(s) failed", s.broken)
	}
	fmt.Fprintln(s.out)
	if len(s.skips) == 0 {
		return
	}
	sort.SliceStable(s.skips, func(i, j int) bool { return s.skips[i].pkg < s.skips[j].pkg })
	fmt.Fprintln(s.out, "skipped:")
	for _, k := range s.skips {
		fmt.Fprintf(s.out, "  %s %s: %s\n", strings.TrimPrefix(k.pkg, "github.com/left4me/left4me/"), k.test, k.reason)
	}
}

// run reads the events from r; a line that is not JSON (go's own
// messages) is printed as it is.
func (s *summary) run(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		var e event
		if line := sc.Bytes(); len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &e) != nil {
			fmt.Fprintln(s.out, sc.Text())
			continue
		}
		s.add(e)
	}
	return sc.Err()
}

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: testsummary -- go test -json [flags] [packages]")
		os.Exit(2)
	}
	os.Exit(runCommand(args, os.Stdout, os.Stderr))
}

// runCommand runs the test command, summarises its output on stdout and
// returns the exit status.
func runCommand(args []string, stdout, stderr io.Writer) int {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stderr = stderr
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		fmt.Fprintf(stderr, "testsummary: %v\n", err)
		return 1
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(stderr, "testsummary: start %s: %v\n", args[0], err)
		return 1
	}
	s := newSummary(stdout)
	readErr := s.run(pipe)
	err = cmd.Wait()
	s.report()
	code := 0
	if exit, ok := err.(*exec.ExitError); ok {
		code = exit.ExitCode()
	} else if err != nil {
		fmt.Fprintf(stderr, "testsummary: %s: %v\n", args[0], err)
		code = 1
	}
	if readErr != nil {
		fmt.Fprintf(stderr, "testsummary: read the test output: %v\n", readErr)
		code = max(code, 1)
	}
	if code == 0 && (s.failed > 0 || s.broken > 0) {
		code = 1
	}
	return code
}

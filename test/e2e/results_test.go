package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// results collects each check's outcome and the measurements, and writes
// them to a text file (artifacts/e2e-results.txt) for CI to keep.
type results struct {
	path string

	mu       sync.Mutex
	checks   []string
	measures []string
}

func newResults(path string) *results { return &results{path: path} }

func (r *results) outcome(name string, failed, skipped bool) {
	verdict := "PASS"
	switch {
	case failed:
		verdict = "FAIL"
	case skipped:
		verdict = "SKIP"
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.checks = append(r.checks, fmt.Sprintf("%-4s %s", verdict, name))
}

func (r *results) measure(name, value string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.measures = append(r.measures, fmt.Sprintf("%s: %s", name, value))
}

func (r *results) write() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "left4me e2e harness, %s\n\nchecks:\n", time.Now().UTC().Format(time.RFC3339))
	for _, c := range r.checks {
		fmt.Fprintf(&b, "  %s\n", c)
	}
	b.WriteString("\nmeasurements:\n")
	for _, m := range r.measures {
		fmt.Fprintf(&b, "  %s\n", m)
	}
	if err := os.MkdirAll(filepath.Dir(r.path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(r.path, []byte(b.String()), 0o644)
}

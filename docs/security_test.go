package docs

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestSecurityNamesRealTests: every test SECURITY.md names as holding a
// line of the threat model exists, a Go test function by its name and an
// end-to-end check (test/e2e) by its "group/name".
func TestSecurityNamesRealTests(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "SECURITY.md"))
	if err != nil {
		t.Fatal(err)
	}
	goTests := map[string]bool{}
	var e2e strings.Builder
	testFunc := regexp.MustCompile(`(?m)^func (Test[A-Za-z0-9_]+)\(`)
	err = filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && skippedDirs[d.Name()] {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range testFunc.FindAllStringSubmatch(string(b), -1) {
			goTests[m[1]] = true
		}
		if filepath.Base(filepath.Dir(path)) == "e2e" {
			e2e.Write(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	named := 0
	for _, m := range regexp.MustCompile("`(Test[A-Za-z0-9_]+)`").FindAllStringSubmatch(string(doc), -1) {
		named++
		if !goTests[m[1]] {
			t.Errorf("SECURITY.md names %s, which is no test function in the repository", m[1])
		}
	}
	// A check is named "group/name"; a path such as deploy/nftables is not
	// one, as no check's group is "deploy".
	checks, groups := map[string]bool{}, map[string]bool{}
	for _, m := range regexp.MustCompile(`"([a-z0-9]+)/([a-z0-9-]+)"`).FindAllStringSubmatch(e2e.String(), -1) {
		checks[m[1]+"/"+m[2]] = true
		groups[m[1]] = true
	}
	for _, m := range regexp.MustCompile("`([a-z0-9]+)/([a-z0-9-]+)`").FindAllStringSubmatch(string(doc), -1) {
		if !groups[m[1]] {
			continue
		}
		named++
		if name := m[1] + "/" + m[2]; !checks[name] {
			t.Errorf("SECURITY.md names the check %s, which test/e2e does not have", name)
		}
	}
	if named < 20 {
		t.Errorf("SECURITY.md names %d tests; the threat model is held by more", named)
	}
}

// Package docs holds left4me's documentation; this test checks that every
// document the repository cites is in it, and that every rule and section a
// citation names exists.
package docs

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// thisFile is skipped by the scan: its table holds bad citations on purpose.
const thisFile = "docs/citations_test.go"

// scanned says which files are read for citations: source, units, build
// files and documentation.
func scanned(path string) bool {
	switch filepath.Base(path) {
	case "Makefile", "run":
		return true
	}
	switch filepath.Ext(path) {
	case ".go", ".md", ".sql", ".service", ".slice", ".conf", ".rules", ".env", ".nft", ".sh":
		return true
	}
	return false
}

// skippedDirs hold no citations: VCS data, fuzz corpora and test fixtures,
// build and test output.
var skippedDirs = map[string]bool{".git": true, "testdata": true, "artifacts": true, "bin": true, "left4me-demo": true}

var (
	// outside names documents that live outside the repository.
	outside = regexp.MustCompile(`\b(?:DESIGN|SRCDS|HOSTING|STYLE)\.md\b|\.\./shared\b|\bshared/reference\b`)
	// docCite is a citation of a file in docs/, with what follows it.
	docCite = regexp.MustCompile(`\bdocs/([A-Za-z0-9_-]+)\.md\b`)
	// ruleCite: "rule 2", "rules 1 and 3", "rules 2, 3 and 7".
	ruleCite = regexp.MustCompile(`^,? (rules?) (\d+(?:(?:, | and |, and )\d+)*)`)
	// sectionCite: "§8", "§1–4", "§2, §8", "§1 and §8".
	sectionCite = regexp.MustCompile(`^,? (§\d+(?:[–-]\d+)?(?:(?:, | and )§\d+(?:[–-]\d+)?)*)`)
	// mdLink is a relative Markdown link to another document.
	mdLink = regexp.MustCompile(`\]\(([A-Za-z0-9_./-]+\.md)(?:#[^)]*)?\)`)
	// continuation joins a comment's lines so that a citation broken over
	// two lines reads as one.
	continuation = regexp.MustCompile(`[ \t]*\n[ \t]*(?://+|#+|--)?[ \t]*`)
	numbers      = regexp.MustCompile(`\d+`)
)

// docIndex knows the documents in docs/ with their numbered rules and
// sections.
type docIndex map[string]docInfo

type docInfo struct {
	rules    map[int]bool // "N. **…" list items at the start of a line
	sections map[int]bool // "## N. …" headings
}

var (
	ruleLine    = regexp.MustCompile(`(?m)^(\d+)\. \*\*`)
	sectionLine = regexp.MustCompile(`(?m)^## (\d+)\.`)
)

func indexDocs(dir string) (docIndex, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.md"))
	if err != nil {
		return nil, err
	}
	idx := docIndex{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		info := docInfo{rules: map[int]bool{}, sections: map[int]bool{}}
		for _, m := range ruleLine.FindAllStringSubmatch(string(b), -1) {
			info.rules[atoi(m[1])] = true
		}
		for _, m := range sectionLine.FindAllStringSubmatch(string(b), -1) {
			info.sections[atoi(m[1])] = true
		}
		idx[strings.TrimSuffix(filepath.Base(p), ".md")] = info
	}
	return idx, nil
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

// check returns one message per bad citation in text. inDocs says that text
// is a document in docs/, whose relative links are checked too.
func (idx docIndex) check(text string, inDocs bool) []string {
	var bad []string
	text = continuation.ReplaceAllString(text, " ")
	for _, m := range outside.FindAllString(text, -1) {
		bad = append(bad, fmt.Sprintf("cites %s, which is not in the repository (cite a file in docs/)", m))
	}
	for _, loc := range docCite.FindAllStringSubmatchIndex(text, -1) {
		name := text[loc[2]:loc[3]]
		info, ok := idx[name]
		if !ok {
			bad = append(bad, fmt.Sprintf("cites docs/%s.md, which does not exist", name))
			continue
		}
		rest := text[loc[1]:]
		if m := ruleCite.FindStringSubmatch(rest); m != nil {
			if len(info.rules) == 0 {
				bad = append(bad, fmt.Sprintf("cites docs/%s.md %s %s, but it has no numbered rules", name, m[1], m[2]))
			}
			for _, n := range numbers.FindAllString(m[2], -1) {
				if len(info.rules) > 0 && !info.rules[atoi(n)] {
					bad = append(bad, fmt.Sprintf("cites docs/%s.md rule %s, which does not exist", name, n))
				}
			}
		}
		if m := sectionCite.FindStringSubmatch(rest); m != nil {
			for _, n := range numbers.FindAllString(m[1], -1) {
				if !info.sections[atoi(n)] {
					bad = append(bad, fmt.Sprintf("cites docs/%s.md §%s, which has no section %s", name, n, n))
				}
			}
		}
	}
	if inDocs {
		for _, m := range mdLink.FindAllStringSubmatch(text, -1) {
			if _, ok := idx[strings.TrimSuffix(m[1], ".md")]; !ok || strings.Contains(m[1], "/") {
				bad = append(bad, fmt.Sprintf("links to %s, which is not a document in docs/", m[1]))
			}
		}
	}
	return bad
}

func TestCitationsResolve(t *testing.T) {
	idx, err := indexDocs(".")
	if err != nil {
		t.Fatal(err)
	}
	if len(idx["lifecycle"].rules) == 0 {
		t.Fatal("docs/lifecycle.md has no numbered rules: the rule pattern no longer matches")
	}
	if len(idx["srcds"].sections) == 0 {
		t.Fatal("docs/srcds.md has no numbered sections: the section pattern no longer matches")
	}
	files := 0
	err = filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != ".." && (skippedDirs[d.Name()] || strings.HasPrefix(d.Name(), ".") && d.Name() != ".ci") {
				return filepath.SkipDir
			}
			return nil
		}
		rel, err := filepath.Rel("..", path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel == thisFile || !scanned(rel) {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		for _, msg := range idx.check(string(b), strings.HasPrefix(rel, "docs/")) {
			t.Errorf("%s: %s", rel, msg)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 100 {
		t.Errorf("scanned %d files; the walk missed the repository", files)
	}
}

// TestCitationCheck: the checker itself finds each kind of bad citation
// and accepts the forms the code uses.
func TestCitationCheck(t *testing.T) {
	idx := docIndex{
		"lifecycle": {rules: map[int]bool{1: true, 2: true, 3: true, 7: true, 12: true}, sections: map[int]bool{}},
		"srcds":     {rules: map[int]bool{}, sections: map[int]bool{1: true, 2: true, 3: true, 4: true, 8: true}},
	}
	tests := []struct {
		text    string
		inDocs  bool
		wantBad int
	}{
		{"// see docs/lifecycle.md rule 2", false, 0},
		{"// (docs/lifecycle.md rules 2, 3 and 7)", false, 0},
		{"// (docs/lifecycle.md\n// rules 1 and 3): the unmount", false, 0},
		{"// docs/srcds.md §1–4 and docs/srcds.md §2, §8", false, 0},
		{"# docs/srcds.md §8: -norestart", false, 0},
		{"see [the rules](lifecycle.md) and [srcds](srcds.md#8-where)", true, 0},
		{"// DESIGN.md §1 rule 2", false, 1},
		{"// (SRCDS.md §4)", false, 1},
		{"# at least HOSTING.md's set", false, 1},
		{"// shared/reference/SRCDS.md §2", false, 2},
		{"// docs/design.md", false, 1},
		{"// docs/lifecycle.md rule 13", false, 1},
		{"// docs/lifecycle.md rules 2 and 9", false, 1},
		{"// (docs/lifecycle.md\n// rule 4)", false, 1},
		{"// docs/srcds.md §7", false, 1},
		{"// docs/srcds.md §2–9", false, 1},
		{"// docs/srcds.md rule 2", false, 1},
		{"see [old](../DESIGN.md)", true, 2},
		{"see [gone](nowhere.md)", true, 1},
		{"see [gone](nowhere.md)", false, 0},
	}
	for _, tc := range tests {
		if got := idx.check(tc.text, tc.inDocs); len(got) != tc.wantBad {
			t.Errorf("check(%q) = %q, want %d findings", tc.text, got, tc.wantBad)
		}
	}
}

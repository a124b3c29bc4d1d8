package textdiff

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// applyDiff applies a unified diff made by Unified to a.
func applyDiff(t *testing.T, a, diff string) string {
	t.Helper()
	x := splitLines(a)
	var out []string
	pos := 0 // next line of x to copy
	lines := strings.SplitAfter(diff, "\n")
	for i := 2; i < len(lines); i++ {
		l := lines[i]
		if l == "" {
			continue
		}
		if strings.HasPrefix(l, "@@ -") {
			spec := strings.Fields(l)[1][1:]
			startText, countText, ok := strings.Cut(spec, ",")
			start, _ := strconv.Atoi(startText)
			count := 1
			if ok {
				count, _ = strconv.Atoi(countText)
			}
			if count == 0 {
				start++
			}
			for pos < start-1 {
				out = append(out, x[pos])
				pos++
			}
			continue
		}
		body := l[1:]
		if i+1 < len(lines) && strings.HasPrefix(lines[i+1], "\\ No newline") {
			body = strings.TrimSuffix(body, "\n")
			i++
		}
		switch l[0] {
		case ' ':
			if x[pos] != body {
				t.Fatalf("context line %q does not match %q", body, x[pos])
			}
			out = append(out, body)
			pos++
		case '-':
			if x[pos] != body {
				t.Fatalf("deleted line %q does not match %q", body, x[pos])
			}
			pos++
		case '+':
			out = append(out, body)
		}
	}
	out = append(out, x[pos:]...)
	return strings.Join(out, "")
}

// lcs is the length of the longest common subsequence of x and y.
func lcs(x, y []string) int {
	prev := make([]int, len(y)+1)
	for i := range x {
		cur := make([]int, len(y)+1)
		for j := range y {
			if x[i] == y[j] {
				cur[j+1] = prev[j] + 1
			} else {
				cur[j+1] = max(prev[j+1], cur[j])
			}
		}
		prev = cur
	}
	return prev[len(y)]
}

// TestUnifiedDiff: on random texts the diff applies back to the new text
// and its edit script is a shortest one.
func TestUnifiedDiff(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	text := func() string {
		var b strings.Builder
		for range r.IntN(30) {
			b.WriteString(string(rune('a' + r.IntN(4))))
			b.WriteByte('\n')
		}
		if r.IntN(4) == 0 {
			b.WriteString("tail")
		}
		return b.String()
	}
	for i := range 500 {
		a, b := text(), text()
		d := Unified("a", "b", a, b)
		if a == b {
			if d != "" {
				t.Fatalf("equal texts gave a diff")
			}
			continue
		}
		if got := applyDiff(t, a, d); got != b {
			t.Fatalf("case %d: applying\n%s\nto %q gave %q, want %q", i, d, a, got, b)
		}
		x, y := splitLines(a), splitLines(b)
		edits := 0
		for _, op := range editScript(x, y) {
			if op.kind != ' ' {
				edits++
			}
		}
		if want := len(x) + len(y) - 2*lcs(x, y); edits != want {
			t.Fatalf("case %d: %d edits, the shortest has %d", i, edits, want)
		}
	}
}

// Package textdiff makes unified diffs of two texts (Myers' algorithm,
// bounded), for "what differs" in an instance's writable layer.
package textdiff

import (
	"fmt"
	"strings"
)

// maxEditDistance bounds the work of Unified: two texts further apart
// than this many inserted and deleted lines are shown as one replacement.
const maxEditDistance = 1000

// diffContext is the number of unchanged lines around each change.
const diffContext = 3

// editOp is one line of an edit script: ' ' kept, '-' deleted, '+' added.
type editOp struct {
	kind byte
	text string
}

// Unified returns the differences from a to b as a unified diff with
// the file names aName and bName ("" when the texts are equal).
func Unified(aName, bName, a, b string) string {
	if a == b {
		return ""
	}
	x, y := splitLines(a), splitLines(b)
	ops := editScript(x, y)
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", aName, bName)
	// Group the script into hunks: runs of changes with up to
	// 2*diffContext kept lines between them.
	for i := 0; i < len(ops); {
		if ops[i].kind == ' ' {
			i++
			continue
		}
		start := max(i-diffContext, 0)
		end := i
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			run := end
			for run < len(ops) && ops[run].kind == ' ' {
				run++
			}
			if run == len(ops) || run-end > 2*diffContext {
				end = min(end+diffContext, len(ops))
				break
			}
			end = run
		}
		// Line numbers of the hunk's first line in a and b.
		aLine, bLine := 1, 1
		for _, op := range ops[:start] {
			if op.kind != '+' {
				aLine++
			}
			if op.kind != '-' {
				bLine++
			}
		}
		aCount, bCount := 0, 0
		for _, op := range ops[start:end] {
			if op.kind != '+' {
				aCount++
			}
			if op.kind != '-' {
				bCount++
			}
		}
		fmt.Fprintf(&out, "@@ -%s +%s @@\n", hunkRange(aLine, aCount), hunkRange(bLine, bCount))
		for _, op := range ops[start:end] {
			out.WriteByte(op.kind)
			out.WriteString(strings.TrimSuffix(op.text, "\n"))
			out.WriteByte('\n')
			if !strings.HasSuffix(op.text, "\n") {
				out.WriteString("\\ No newline at end of file\n")
			}
		}
		i = end
	}
	return out.String()
}

// hunkRange is a hunk header's "start,count" (a count of 0 names the line
// before, as diff -u does).
func hunkRange(start, count int) string {
	if count == 0 {
		start--
	}
	if count == 1 {
		return fmt.Sprint(start)
	}
	return fmt.Sprintf("%d,%d", start, count)
}

// splitLines splits s after each newline; a last line without one is kept.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// editScript returns a shortest edit script from x to y (Myers' O(ND)
// algorithm on what lies between their common prefix and suffix), or, past
// maxEditDistance, the deletion of all of one and the addition of the other.
func editScript(x, y []string) []editOp {
	pre := 0
	for pre < len(x) && pre < len(y) && x[pre] == y[pre] {
		pre++
	}
	suf := 0
	for suf < len(x)-pre && suf < len(y)-pre && x[len(x)-1-suf] == y[len(y)-1-suf] {
		suf++
	}
	var ops []editOp
	for _, l := range x[:pre] {
		ops = append(ops, editOp{' ', l})
	}
	ops = append(ops, myers(x[pre:len(x)-suf], y[pre:len(y)-suf])...)
	for _, l := range x[len(x)-suf:] {
		ops = append(ops, editOp{' ', l})
	}
	return ops
}

// myers is the edit script of x to y by Myers' greedy algorithm, keeping
// each round's furthest reaching paths to trace the script back.
func myers(x, y []string) []editOp {
	n, m := len(x), len(y)
	limit := min(n+m, maxEditDistance)
	off := limit + 1
	v := make([]int, 2*limit+3)
	var trace [][]int
	found := -1
	for d := 0; d <= limit && found < 0; d++ {
		trace = append(trace, append([]int(nil), v...))
		for k := -d; k <= d; k += 2 {
			var px int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				px = v[off+k+1] // down: an insertion
			} else {
				px = v[off+k-1] + 1 // right: a deletion
			}
			py := px - k
			for px < n && py < m && x[px] == y[py] {
				px++
				py++
			}
			v[off+k] = px
			if px >= n && py >= m {
				found = d
				break
			}
		}
	}
	if found < 0 {
		ops := make([]editOp, 0, n+m)
		for _, l := range x {
			ops = append(ops, editOp{'-', l})
		}
		for _, l := range y {
			ops = append(ops, editOp{'+', l})
		}
		return ops
	}
	// Walk back from (n, m) through the saved rounds.
	var rev []editOp
	px, py := n, m
	for d := found; d > 0; d-- {
		vd := trace[d] // the paths after round d-1
		k := px - py
		var prevK int
		if k == -d || (k != d && vd[off+k-1] < vd[off+k+1]) {
			prevK = k + 1
		} else {
			prevK = k - 1
		}
		prevX := vd[off+prevK]
		prevY := prevX - prevK
		for px > prevX && py > prevY {
			px--
			py--
			rev = append(rev, editOp{' ', x[px]})
		}
		if prevK == k+1 {
			py--
			rev = append(rev, editOp{'+', y[py]})
		} else {
			px--
			rev = append(rev, editOp{'-', x[px]})
		}
	}
	for px > 0 && py > 0 {
		px--
		py--
		rev = append(rev, editOp{' ', x[px]})
	}
	ops := make([]editOp, len(rev))
	for i, op := range rev {
		ops[len(rev)-1-i] = op
	}
	return ops
}

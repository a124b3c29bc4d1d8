package main

import (
	"fmt"
	"io"

	"github.com/left4me/left4me/internal/views"
)

// printLastLines writes the last console lines of a failed instance under
// the show output (views.Instance.AddLastLines reads them;
// docs/lifecycle.md rule 6).
func printLastLines(w io.Writer, j views.Instance) {
	if j.LastLinesError != "" {
		fmt.Fprintf(w, "last console lines: unreadable: %s\n", j.LastLinesError)
	}
	if len(j.LastLines) == 0 {
		return
	}
	fmt.Fprintln(w, "last console lines:")
	for _, l := range j.LastLines {
		fmt.Fprintf(w, "  %s\n", l)
	}
}

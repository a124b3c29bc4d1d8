package main

import (
	"context"
	"fmt"
	"io"

	"github.com/left4me/left4me/internal/instance"
)

// failedLogLines is how many console lines `instance show` adds for a failed
// instance, so the operator sees why it failed (docs/lifecycle.md rule 6).
const failedLogLines = 20

// addLastLines fills j.LastLines from the console log when j is failed. A
// log that cannot be read is reported in LastLinesError; the state stands.
func addLastLines(ctx context.Context, logs instance.LogReader, j *instanceJSON) {
	if j.State != string(instance.Failed) || logs == nil {
		return
	}
	lines, err := logs.Tail(ctx, j.Name, failedLogLines)
	if err != nil {
		j.LastLinesError = err.Error()
		return
	}
	j.LastLines = lines
}

// printLastLines writes the last console lines of a failed instance under
// the show output.
func printLastLines(w io.Writer, j instanceJSON) {
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

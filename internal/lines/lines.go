// Package lines reads text line by line with a bound on line length, for
// console output from programs left4me does not control (srcds, journalctl).
package lines

import (
	"bufio"
	"errors"
	"io"
	"strings"
)

// Read calls fn for each line of r without its line ending ("\n" or
// "\r\n") until r ends. A line longer than max bytes is cut at max and the
// rest of it skipped, so one runaway line cannot grow memory without bound.
// It returns nil at EOF and the reader's error otherwise.
func Read(r io.Reader, max int, fn func(string)) error {
	br := bufio.NewReaderSize(r, max)
	skipping := false
	for {
		line, err := br.ReadSlice('\n')
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			if !skipping {
				fn(string(line))
			}
			skipping = true
			continue
		case len(line) > 0 && !skipping:
			fn(strings.TrimRight(string(line), "\r\n"))
		}
		skipping = false
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

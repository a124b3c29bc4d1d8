package fakesrcds

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
)

// ConsoleFile, under the game directory, holds lines the stand-in prints
// to its console once the first map has loaded, as the real server prints
// what its plugins say when they load. A test writes it into an
// installation generation to make that generation "broken" the way a game
// update breaks SourceMod (e.g. "[SM] ... Signature broken"), which a
// canary must notice (internal/canary). The real server has no such file.
const ConsoleFile = "addons/fakesrcds_console.txt"

// printConsoleFile prints every line of ConsoleFile, if there is one.
func (s *Server) printConsoleFile() {
	b, err := os.ReadFile(filepath.Join(s.gameDir, ConsoleFile))
	if err != nil {
		return
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if line := sc.Text(); line != "" {
			s.out.printf("%s", line)
		}
	}
}

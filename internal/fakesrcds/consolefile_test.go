package fakesrcds

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// lockedBuffer is a console a test reads while the server writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestConsoleFilePrintedAtStart: the lines of ConsoleFile reach the
// console once the first map loaded, before start-up completes, and the
// server keeps serving (a plugin's "Signature broken" does not stop the
// real server either).
func TestConsoleFilePrintedAtStart(t *testing.T) {
	dir := install(t, nil)
	line := `[SM] Unable to load extension "sdkhooks.ext": Signature broken`
	if err := os.WriteFile(filepath.Join(dir, "left4dead2", ConsoleFile), []byte(line+"\n\nsecond line\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out lockedBuffer
	s := start(t, dir, &out)
	text := out.String()
	i, j, k := strings.Index(text, "Host_NewGame on map"), strings.Index(text, line), strings.Index(text, "Connection to Steam servers successful.")
	if i < 0 || j < i || k < j || !strings.Contains(text, "second line\n") {
		t.Errorf("console:\n%s", text)
	}
	if got := s.Exec("echo still here"); !strings.Contains(got, "still here") {
		t.Errorf("the server does not answer after the console file: %q", got)
	}
	// Without the file nothing extra is printed.
	var plain lockedBuffer
	start(t, install(t, nil), &plain)
	if strings.Contains(plain.String(), "Signature broken") {
		t.Errorf("console without the file:\n%s", plain.String())
	}
}

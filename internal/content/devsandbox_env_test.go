package content

import (
	"context"
	"slices"
	"testing"

	"github.com/left4me/left4me/internal/layout"
)

// A DevSandbox script runs with the PATH it is given (the command's own),
// else DefaultPath: the package reads no environment.
func TestDevSandboxPath(t *testing.T) {
	root, err := layout.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for i, tc := range []struct{ path, want string }{
		{path: "/opt/tools/bin:/usr/bin:/bin", want: "/opt/tools/bin:/usr/bin:/bin"},
		{path: "", want: DefaultPath},
	} {
		var lines []string
		spec := BuildSpec{ID: "path-" + string(rune('a'+i)), Script: []byte("echo \"PATH=$PATH\"\n")}
		if err := (DevSandbox{Path: tc.path}).Run(context.Background(), root, spec, func(l string) { lines = append(lines, l) }); err != nil {
			t.Fatalf("Run: %v", err)
		}
		if !slices.Contains(lines, "PATH="+tc.want) {
			t.Errorf("Path %q: script printed %q, want PATH=%s", tc.path, lines, tc.want)
		}
	}
}

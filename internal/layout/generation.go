package layout

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Generations returns the published generation names in parent (the
// installations/ directory or one overlays/<id>/), oldest first: names sort
// lexically in creation order (docs/lifecycle.md rule 12). Names starting
// with '.' (work in progress, markers) and non-directories are skipped. A
// missing parent has no generations.
func Generations(parent string) ([]string, error) {
	entries, err := os.ReadDir(parent)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list generations in %s: %w", parent, err)
	}
	var gens []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		fi, err := os.Stat(filepath.Join(parent, e.Name()))
		if err != nil || !fi.IsDir() {
			continue
		}
		gens = append(gens, e.Name())
	}
	slices.Sort(gens)
	return gens, nil
}

// Newest returns the newest generation in parent, or "" when there is none:
// the one an instance is staged on when it starts, and the one the content
// pipeline publishes after.
func Newest(parent string) (string, error) {
	gens, err := Generations(parent)
	if err != nil || len(gens) == 0 {
		return "", err
	}
	return gens[len(gens)-1], nil
}

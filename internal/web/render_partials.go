package web

import (
	"fmt"
	"io/fs"
	"strings"
)

// partialTemplates are the template files that define no "content": the
// cards of a page (internal/web/templates/instance_FEATURE.html defining
// "instance-FEATURE"), parsed into every page rather than being pages of
// their own.
func partialTemplates(names []string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, name := range names {
		b, err := fs.ReadFile(templateFS, name)
		if err != nil {
			return nil, fmt.Errorf("web: read %s: %w", name, err)
		}
		if !strings.Contains(string(b), `{{define "content"}}`) && !strings.HasSuffix(name, "/layout.html") {
			out[name] = true
		}
	}
	return out, nil
}

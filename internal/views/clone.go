package views

import (
	"time"

	"github.com/left4me/left4me/internal/instance"
)

// Change is one path of an instance's upper and what it changes
// (instance.Change): GET /api/v1/instances/{name}/diff and
// `left4me instance diff --json`.
type Change struct {
	Path    string `json:"path"`
	Kind    string `json:"kind"`           // new, changed, deleted, opaque
	Type    string `json:"type,omitempty"` // file, directory, symlink, other
	Size    int64  `json:"size"`
	Shadows string `json:"shadows,omitempty"`
	Diff    string `json:"diff,omitempty"`
	Note    string `json:"note,omitempty"`
}

// NewChanges builds the views of changes, [] for none.
func NewChanges(cs []instance.Change) []Change {
	out := make([]Change, 0, len(cs))
	for _, c := range cs {
		out = append(out, Change{Path: c.Path, Kind: string(c.Kind), Type: c.Type, Size: c.Size, Shadows: c.Shadows, Diff: c.Diff, Note: c.Note})
	}
	return out
}

// Template is a saved instance template (instance.Template): GET
// /api/v1/templates and `left4me template list --json`. Its server.cfg is
// not shown in lists.
type Template struct {
	Name      string    `json:"name"`
	Owner     string    `json:"owner,omitempty"`
	Source    string    `json:"source,omitempty"`
	Layers    []string  `json:"layers"`
	Args      []string  `json:"args"`
	Files     bool      `json:"files"`
	Size      int64     `json:"size"`
	CreatedAt time.Time `json:"created_at"`
}

// NewTemplate builds the view of t; owners names the accounts.
func NewTemplate(t instance.Template, owners Names) Template {
	v := Template{
		Name: t.Name, Owner: owners[t.OwnerID], Source: t.Source,
		Layers: t.Layers, Args: t.Args, Files: t.Files, Size: t.Size, CreatedAt: t.CreatedAt.UTC(),
	}
	if v.Layers == nil {
		v.Layers = []string{}
	}
	if v.Args == nil {
		v.Args = []string{}
	}
	return v
}

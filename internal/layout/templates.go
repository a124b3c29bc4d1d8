package layout

// Templates is the directory holding saved instance templates, one
// directory each (template.json and, when saved with files, upper/).
func (r Root) Templates() string { return r.join("templates") }

// Template is one saved template's directory.
func (r Root) Template(name string) string { return r.join("templates", name) }

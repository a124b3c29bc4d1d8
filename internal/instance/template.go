package instance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// FieldTemplate is the field naming a template: the template's name when
// one is saved, the template to create an instance from (Spec.Template).
const FieldTemplate = "template"

// templateFile is a template's record inside its directory.
const templateFile = "template.json"

// Template is a saved instance: its stack, srcds arguments, server.cfg and,
// when saved with them, its upper's files (docs/operations.md, "Clone and
// templates"). Templates live under the state root's templates/.
type Template struct {
	Name      string    `json:"name"`
	OwnerID   int64     `json:"owner_id"`
	Source    string    `json:"source"` // the instance it was saved from
	Layers    []string  `json:"layers"`
	Args      []string  `json:"args"`
	ServerCfg string    `json:"server_cfg"`
	Files     bool      `json:"files"`
	CreatedAt time.Time `json:"created_at"`
	// Size is the size in bytes of its files (not stored).
	Size int64 `json:"-"`
}

// UsableBy reports whether an account may see, use and remove t: the
// account that saved it, and site administrators.
func (t Template) UsableBy(userID int64, admin bool) bool {
	return admin || t.OwnerID == userID
}

func noTemplate(name string) error {
	return fieldKind(FieldTemplate, ErrNotFound, "no template named %q (left4me template list shows them)", name)
}

// validateTemplateName: template names follow the rule of instance names.
func validateTemplateName(name string) error {
	if err := ValidateName(name); err != nil {
		var fe *FieldError
		if errors.As(err, &fe) {
			return &FieldError{Field: FieldTemplate, Err: fe.Err}
		}
		return err
	}
	return nil
}

// SaveTemplate saves the instance src as the template name, owned by
// ownerID (0: src's owner); with files, its upper's files too (copied as
// Clone copies them: src may be running). Nothing is left of a failed save.
func (s *Service) SaveTemplate(ctx context.Context, src, name string, files bool, ownerID int64) (Template, error) {
	if err := validateTemplateName(name); err != nil {
		return Template{}, err
	}
	dir := s.root.Template(name)
	if _, err := os.Lstat(dir); err == nil {
		return Template{}, fieldKind(FieldTemplate, ErrExists, "a template named %q already exists", name)
	}
	if err := s.mkdirOwned(s.root.Templates(), 0o750); err != nil {
		return Template{}, err
	}
	tmp := tempSibling(dir, "save")
	if err := os.Mkdir(tmp, 0o750); err != nil {
		return Template{}, fmt.Errorf("save template %s: %w", name, err)
	}
	defer os.RemoveAll(tmp) // gone already when it became the template
	if err := s.chown(tmp); err != nil {
		return Template{}, err
	}
	var seed func(string) (string, error)
	if files {
		seed = seedIn(tmp)
	}
	spec, err := s.snapshot(ctx, src, name, seed)
	if err != nil {
		return Template{}, err
	}
	if ownerID == 0 {
		ownerID = spec.OwnerID
	}
	t := Template{
		Name: name, OwnerID: ownerID, Source: src, Layers: spec.Layers, Args: spec.Args,
		ServerCfg: spec.ServerCfg, Files: files, CreatedAt: time.Now().UTC().Truncate(time.Second),
	}
	b, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return Template{}, err
	}
	if err := s.writeFile(filepath.Join(tmp, templateFile), b, 0o640); err != nil {
		return Template{}, fmt.Errorf("save template %s: %w", name, err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		if errors.Is(err, os.ErrExist) || errors.Is(err, fs.ErrExist) || strings.Contains(err.Error(), "not empty") {
			return Template{}, fieldKind(FieldTemplate, ErrExists, "a template named %q already exists", name)
		}
		return Template{}, fmt.Errorf("save template %s: %w", name, err)
	}
	t.Size = treeSize(filepath.Join(dir, "upper"))
	s.log.Info("template saved", "template", name, "from", src, "files", files)
	return t, nil
}

// TemplateByName returns the template name.
func (s *Service) TemplateByName(ctx context.Context, name string) (Template, error) {
	if validateTemplateName(name) != nil {
		return Template{}, noTemplate(name)
	}
	b, err := os.ReadFile(filepath.Join(s.root.Template(name), templateFile))
	if errors.Is(err, os.ErrNotExist) {
		return Template{}, noTemplate(name)
	}
	if err != nil {
		return Template{}, fmt.Errorf("read template %s: %w", name, err)
	}
	var t Template
	if err := json.Unmarshal(b, &t); err != nil {
		return Template{}, fmt.Errorf("read template %s: %w", name, err)
	}
	t.Name = name
	if t.Files {
		t.Size = treeSize(filepath.Join(s.root.Template(name), "upper"))
	}
	return t, nil
}

// Templates lists the saved templates, ordered by name.
func (s *Service) Templates(ctx context.Context) ([]Template, error) {
	entries, err := os.ReadDir(s.root.Templates())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list templates: %w", err)
	}
	var list []Template
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		t, err := s.TemplateByName(ctx, e.Name())
		if err != nil {
			s.log.Warn("unreadable template", "template", e.Name(), "err", err)
			continue
		}
		list = append(list, t)
	}
	slices.SortFunc(list, func(a, b Template) int { return strings.Compare(a.Name, b.Name) })
	return list, nil
}

// RemoveTemplate removes the template name. Instances created from it keep
// their own copies.
func (s *Service) RemoveTemplate(ctx context.Context, name string) error {
	if _, err := s.TemplateByName(ctx, name); err != nil {
		return err
	}
	dir := s.root.Template(name)
	gone := tempSibling(dir, "remove")
	// One rename: no half-removed template is ever listed.
	if err := os.Rename(dir, gone); err != nil {
		return fmt.Errorf("remove template %s: %w", name, err)
	}
	if err := os.RemoveAll(gone); err != nil {
		return fmt.Errorf("remove template %s: %w", name, err)
	}
	s.log.Info("template removed", "template", name)
	return nil
}

// fromTemplate fills spec from its template: the layers, arguments and
// server.cfg spec leaves empty and, when the template has files, a copy of
// them as the seed of the new upper. done removes what is left of the copy.
func (s *Service) fromTemplate(spec Spec) (Spec, func(), error) {
	t, err := s.TemplateByName(context.Background(), spec.Template)
	if err != nil {
		return spec, nil, err
	}
	if spec.Layers == nil {
		spec.Layers = append([]string{}, t.Layers...)
	}
	if spec.Args == nil {
		spec.Args = append([]string{}, t.Args...)
	}
	if spec.ServerCfg == "" {
		spec.ServerCfg = t.ServerCfg
	}
	if !t.Files {
		return spec, func() {}, nil
	}
	seed, err := s.cloneSeed(spec.Name)
	if err != nil {
		return spec, nil, err
	}
	if err := copyTree(filepath.Join(s.root.Template(t.Name), "upper"), seed, nil); err != nil {
		os.RemoveAll(seed)
		return spec, nil, fmt.Errorf("copy the files of template %s: %w", t.Name, err)
	}
	spec.seed = seed
	return spec, func() { os.RemoveAll(seed) }, nil
}

// treeSize is the total size of the regular files below dir.
func treeSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

package web

import (
	"context"
	"errors"
	"fmt"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/views"
)

// cloner is what clone, templates and "what differs" need from the
// instance service (*instance.Service has it).
type cloner interface {
	Clone(ctx context.Context, src string, c instance.CloneSpec) (instance.Instance, error)
	Diff(ctx context.Context, name string) ([]instance.Change, error)
	Revert(ctx context.Context, name, path string) error
	SaveTemplate(ctx context.Context, src, name string, files bool, ownerID int64) (instance.Template, error)
	TemplateByName(ctx context.Context, name string) (instance.Template, error)
	Templates(ctx context.Context) ([]instance.Template, error)
	RemoveTemplate(ctx context.Context, name string) error
}

// errNoCloner: the panel was built over an instance service without clone
// and templates.
var errNoCloner = errors.New("this panel's instance service has no clone, templates or diff")

// cloner returns the instance service as a cloner.
func (s *Server) cloner() (cloner, error) {
	c, ok := s.cfg.Instances.(cloner)
	if !ok {
		return nil, errNoCloner
	}
	return c, nil
}

// cloneInto clones the instance src for the caller: who may create
// instances (roles.MayCreate) and, through the service, within the
// account's limits. The clone belongs to the caller.
func (s *Server) cloneInto(ctx context.Context, p *principal, src, name string, port int) (instance.Instance, error) {
	c, err := s.cloner()
	if err != nil {
		return instance.Instance{}, err
	}
	if err := s.mayCreate(ctx, p); err != nil {
		return instance.Instance{}, err
	}
	return c.Clone(ctx, src, instance.CloneSpec{Name: name, Port: port, OwnerID: p.User.ID})
}

// templateFor returns the template name if the caller may use it (its
// owner and site administrators); to anyone else it does not exist.
func (s *Server) templateFor(ctx context.Context, p *principal, name string) (instance.Template, error) {
	c, err := s.cloner()
	if err != nil {
		return instance.Template{}, err
	}
	t, err := c.TemplateByName(ctx, name)
	if err != nil {
		return instance.Template{}, err
	}
	if !t.UsableBy(p.User.ID, p.User.IsAdmin) {
		// To anyone else it is no template: the same words as a missing one.
		return instance.Template{}, &instance.FieldError{Field: instance.FieldTemplate, Err: fmt.Errorf("no template named %q (left4me template list shows them)", name)}
	}
	return t, nil
}

// templatesFor lists the templates the caller may use.
func (s *Server) templatesFor(ctx context.Context, p *principal) ([]views.Template, error) {
	c, err := s.cloner()
	if err != nil {
		return nil, err
	}
	list, err := c.Templates(ctx)
	if err != nil {
		return nil, err
	}
	names, err := views.UserNames(ctx, s.cfg.Store)
	if err != nil {
		return nil, err
	}
	out := []views.Template{}
	for _, t := range list {
		if t.UsableBy(p.User.ID, p.User.IsAdmin) {
			out = append(out, views.NewTemplate(t, names))
		}
	}
	return out, nil
}

// createFromTemplate creates an instance for the caller from a template
// the caller may use.
func (s *Server) createFromTemplate(ctx context.Context, p *principal, spec instance.Spec) (instance.Instance, error) {
	if err := s.mayCreate(ctx, p); err != nil {
		return instance.Instance{}, err
	}
	if _, err := s.templateFor(ctx, p, spec.Template); err != nil {
		return instance.Instance{}, err
	}
	spec.OwnerID = p.User.ID
	return s.cfg.Instances.Create(ctx, spec)
}

package web

import (
	"context"
	"errors"
	"net/http"

	"github.com/left4me/left4me/internal/instance"
)

// role is what a principal is to an instance.
type role int

const (
	noRole     role = iota
	sharedRole      // an admin shared the instance with the user
	ownerRole
	adminRole
)

// canSeeSecrets reports whether the role may see the RCON password and delete the instance.
func (r role) canSeeSecrets() bool { return r >= ownerRole }

// roleFor is the single authorisation rule: admins may do everything, owners
// everything with their own instances, users an admin shared an instance
// with may run and configure it.
func (s *Server) roleFor(ctx context.Context, p *principal, inst instance.Instance) (role, error) {
	switch {
	case p.User.IsAdmin:
		return adminRole, nil
	case inst.OwnerID == p.User.ID:
		return ownerRole, nil
	}
	shared, err := s.cfg.Store.IsSharedWith(ctx, inst.Name, p.User.ID)
	if err != nil {
		return noRole, err
	}
	if shared {
		return sharedRole, nil
	}
	return noRole, nil
}

// instanceFor loads the instance named in the path and checks that the
// principal may act on it. Every {name} route calls it first. An instance
// the principal may not see answers 404 exactly like a missing one, so its
// existence does not leak. On false the response has been written.
func (s *Server) instanceFor(w http.ResponseWriter, r *http.Request) (instance.Instance, role, bool) {
	name := r.PathValue("name")
	inst, err := s.cfg.Instances.Get(r.Context(), name)
	if errors.Is(err, instance.ErrNotFound) {
		s.fail(w, r, http.StatusNotFound, "No instance named "+name+".")
		return instance.Instance{}, noRole, false
	}
	if err != nil {
		s.serverError(w, r, err)
		return instance.Instance{}, noRole, false
	}
	rl, err := s.roleFor(r.Context(), who(r), inst)
	if err != nil {
		s.serverError(w, r, err)
		return instance.Instance{}, noRole, false
	}
	if rl == noRole {
		s.fail(w, r, http.StatusNotFound, "No instance named "+name+".")
		return instance.Instance{}, noRole, false
	}
	return inst, rl, true
}

// visible filters a list of instances down to those p may see, with p's
// role for each (the same rule as roleFor, with one query for the shares).
func (s *Server) visible(ctx context.Context, p *principal, all []instance.Instance) ([]instance.Instance, []role, error) {
	var shared map[string]bool
	if !p.User.IsAdmin {
		var err error
		if shared, err = s.cfg.Store.SharedWith(ctx, p.User.ID); err != nil {
			return nil, nil, err
		}
	}
	var out []instance.Instance
	var roles []role
	for _, in := range all {
		switch {
		case p.User.IsAdmin:
			roles = append(roles, adminRole)
		case in.OwnerID == p.User.ID:
			roles = append(roles, ownerRole)
		case shared[in.Name]:
			roles = append(roles, sharedRole)
		default:
			continue
		}
		out = append(out, in)
	}
	return out, roles, nil
}

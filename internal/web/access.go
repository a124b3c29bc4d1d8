package web

import (
	"context"
	"errors"
	"net/http"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/roles"
)

// role is what a principal is to an instance; internal/roles holds the
// one table of what each role may do.
type role = roles.Role

// permKey carries the permission the request's route declares (wrap puts
// it in the context; instanceFor checks it).
type permKey struct{}

// withPermission marks r with the permission its route needs.
func withPermission(r *http.Request, p roles.Permission) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), permKey{}, p))
}

// routePermission is the permission the request's route declares, "" for
// none.
func routePermission(r *http.Request) roles.Permission {
	p, _ := r.Context().Value(permKey{}).(roles.Permission)
	return p
}

// roleFor is p's role for inst: the one rule of internal/roles, with the
// role of inst's share with p read from the store.
func (s *Server) roleFor(ctx context.Context, p *principal, inst instance.Instance) (role, error) {
	shareRole := ""
	if !p.User.IsAdmin && inst.OwnerID != p.User.ID {
		var err error
		if shareRole, err = s.cfg.Store.ShareRole(ctx, inst.Name, p.User.ID); err != nil {
			return roles.None, err
		}
	}
	return roles.For(p.User, inst, shareRole), nil
}

// instanceFor loads the instance named in the path and checks that the
// principal's role grants the permission the route declares. Every {name}
// route calls it first. An instance the principal may not see answers 404
// exactly like a missing one, so its existence does not leak; one it may
// see but not act on so answers 403 saying which role to ask for. A route
// that declares no permission is refused (the authorisation tests walk
// the table for that). On false the response has been written.
func (s *Server) instanceFor(w http.ResponseWriter, r *http.Request) (instance.Instance, role, bool) {
	name := r.PathValue("name")
	inst, err := s.cfg.Instances.Get(r.Context(), name)
	if errors.Is(err, instance.ErrNotFound) {
		s.fail(w, r, http.StatusNotFound, "No instance named "+name+".")
		return instance.Instance{}, roles.None, false
	}
	if err != nil {
		s.serverError(w, r, err)
		return instance.Instance{}, roles.None, false
	}
	rl, err := s.roleFor(r.Context(), who(r), inst)
	if err != nil {
		s.serverError(w, r, err)
		return instance.Instance{}, roles.None, false
	}
	if !rl.May(roles.View) {
		s.fail(w, r, http.StatusNotFound, "No instance named "+name+".")
		return instance.Instance{}, roles.None, false
	}
	need := routePermission(r)
	if need == "" {
		s.log.Error("instance route declares no permission", "path", r.URL.Path)
		s.fail(w, r, http.StatusForbidden, "This page declares no permission, so nobody may use it.")
		return instance.Instance{}, roles.None, false
	}
	if !rl.May(need) {
		s.failErr(w, r, roles.Denied(rl, need))
		return instance.Instance{}, roles.None, false
	}
	return inst, rl, true
}

// visible filters a list of instances down to those p may see, with p's
// role for each (the same rule as roleFor, with one query for the shares).
func (s *Server) visible(ctx context.Context, p *principal, all []instance.Instance) ([]instance.Instance, []role, error) {
	var shared map[string]string
	if !p.User.IsAdmin {
		var err error
		if shared, err = s.cfg.Store.ShareRoles(ctx, p.User.ID); err != nil {
			return nil, nil, err
		}
	}
	// Room for all: growing a slice of records copies them again and
	// again (a tenth of a list request's CPU, BenchmarkPanelLists).
	out := make([]instance.Instance, 0, len(all))
	rls := make([]role, 0, len(all))
	for _, in := range all {
		rl := roles.For(p.User, in, shared[in.Name])
		if !rl.May(roles.View) {
			continue
		}
		out = append(out, in)
		rls = append(rls, rl)
	}
	return out, rls, nil
}

// visibleNames is the set of instance names p may see; nil for an
// administrator, who sees every one ("Used by" on the layers pages).
func (s *Server) visibleNames(ctx context.Context, p *principal) (map[string]bool, error) {
	if p.User.IsAdmin {
		return nil, nil
	}
	all, err := s.cfg.Instances.List(ctx)
	if err != nil {
		return nil, err
	}
	seen, _, err := s.visible(ctx, p, all)
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(seen))
	for _, in := range seen {
		out[in.Name] = true
	}
	return out, nil
}

// onlyVisible keeps the names in names that visible allows (all of them
// when visible is nil).
func onlyVisible(names []string, visible map[string]bool) []string {
	if visible == nil {
		return names
	}
	out := []string{}
	for _, n := range names {
		if visible[n] {
			out = append(out, n)
		}
	}
	return out
}

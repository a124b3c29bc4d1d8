package web

import (
	"net/http"
	"sort"
)

// listPage is the instance list.
type listPage struct {
	Instances []listRow
	// CannotCreate, when set, says why the viewer may not create
	// instances and whom to ask (roles.MayCreate).
	CannotCreate string
}

// instanceList shows the instances the user may see, with their live state.
func (s *Server) instanceList(w http.ResponseWriter, r *http.Request) {
	views, err := s.listViews(r)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	pg := listPage{Instances: listRows(views)}
	if err := s.mayCreate(r.Context(), who(r)); err != nil {
		if !userFault(err) {
			s.serverError(w, r, err)
			return
		}
		pg.CannotCreate = err.Error()
	}
	s.render(w, r, http.StatusOK, "instances", "Instances", pg)
}

// listViews describes every instance the principal may see, by name.
func (s *Server) listViews(r *http.Request) ([]instanceView, error) {
	ctx, p := r.Context(), who(r)
	all, owners, err := s.instances(ctx)
	if err != nil {
		return nil, err
	}
	mine, rls, err := s.visible(ctx, p, all)
	if err != nil {
		return nil, err
	}
	views := make([]instanceView, 0, len(mine))
	for i, in := range mine {
		views = append(views, s.describe(ctx, in, rls[i], owners))
	}
	sort.Slice(views, func(i, j int) bool { return views[i].Name < views[j].Name })
	return views, nil
}

package web

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/left4me/left4me/internal/content"
)

// maxConflicts bounds the conflicts listed for one stack.
const maxConflicts = 200

// conflictView is one path more than one layer of a stack provides.
type conflictView struct {
	Path   string   `json:"path"`
	Winner string   `json:"winner"` // the layer the server sees it from
	Hidden []string `json:"hidden"` // the layers whose copy is hidden, uppermost first
}

// stackReport is the effective file conflicts of a stack of layers.
type stackReport struct {
	Layers    []string       `json:"layers"`
	Missing   []string       `json:"missing"` // listed but never built
	Conflicts []conflictView `json:"conflicts"`
	Truncated bool           `json:"truncated"`
}

// stackConflicts computes, for layers uppermost first as an instance lists
// them, which layer wins each path several of them provide (their newest
// generations: what the next start mounts).
func (s *Server) stackConflicts(ctx context.Context, ids []string) (stackReport, error) {
	rep := stackReport{Layers: nonNil(ids), Missing: []string{}, Conflicts: []conflictView{}}
	avail, err := s.cfg.Instances.Layers(ctx)
	if err != nil {
		return rep, err
	}
	paths := map[string]string{}
	for _, l := range avail {
		paths[l.ID] = l.Path
	}
	var dirs, names []string
	for _, id := range ids {
		p, ok := paths[id]
		if !ok {
			rep.Missing = append(rep.Missing, id)
			continue
		}
		dirs, names = append(dirs, p), append(names, id)
	}
	if len(dirs) < 2 {
		return rep, nil
	}
	found, err := content.Conflicts(dirs)
	if err != nil {
		return rep, err
	}
	keys := make([]string, 0, len(found))
	for p := range found {
		keys = append(keys, p)
	}
	slices.Sort(keys)
	for _, p := range keys {
		if len(rep.Conflicts) == maxConflicts {
			rep.Truncated = true
			break
		}
		idx := found[p]
		cv := conflictView{Path: p, Winner: names[idx[0]], Hidden: []string{}}
		for _, i := range idx[1:] {
			cv.Hidden = append(cv.Hidden, names[i])
		}
		rep.Conflicts = append(rep.Conflicts, cv)
	}
	return rep, nil
}

// apiConflicts answers the conflicts of the stack ?layers=a,b,c (or
// repeated ?layer=), uppermost first; the instance form's script calls it
// whenever the picked layers or their order change.
func (s *Server) apiConflicts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var ids []string
	for _, v := range append(q["layers"], q["layer"]...) {
		for _, id := range strings.Split(v, ",") {
			if id = strings.TrimSpace(id); id != "" && !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	if len(ids) > 64 {
		s.fail(w, r, http.StatusUnprocessableEntity, "at most 64 layers")
		return
	}
	rep, err := s.stackConflicts(r.Context(), ids)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

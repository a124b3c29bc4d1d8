package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/left4me/left4me/internal/store"
)

// workshopRemove takes one item out of a workshop layer and publishes a
// new generation without it (instances keep the old one until they
// restart). The item's download stays for other layers.
func (s *Server) workshopRemove(w http.ResponseWriter, r *http.Request) {
	li, ok := s.layerFor(w, r)
	if !ok {
		return
	}
	if s.cfg.Workshop == nil || li.Kind != store.LayerWorkshop {
		s.fail(w, r, http.StatusUnprocessableEntity, "Layer "+li.ID+" is not a workshop layer.")
		return
	}
	item := r.PathValue("item")
	if _, err := strconv.ParseUint(item, 10, 64); err != nil {
		s.fail(w, r, http.StatusNotFound, "No item "+item+" in layer "+li.ID+".")
		return
	}
	n, _, _, err := s.cfg.Workshop.Remove(r.Context(), li.ID, []string{item})
	if err != nil {
		if !userFault(err) {
			s.serverError(w, r, err)
			return
		}
		s.fail(w, r, http.StatusUnprocessableEntity, err.Error())
		return
	}
	if n == 0 {
		s.fail(w, r, http.StatusNotFound, "No item "+item+" in layer "+li.ID+".")
		return
	}
	http.Redirect(w, r, "/layers/"+url.PathEscape(li.ID)+"?done=removed", http.StatusSeeOther)
}

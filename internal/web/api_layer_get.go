package web

import (
	"errors"
	"net/http"

	"github.com/left4me/left4me/internal/store"
	"github.com/left4me/left4me/internal/workshop"
)

// layerDetail is one layer in the API.
type layerDetail struct {
	ID          string   `json:"id"`
	Kind        string   `json:"kind"`
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Generations []string `json:"generations"` // oldest first
	Newest      string   `json:"newest,omitempty"`
	UsedBy      []string `json:"used_by"`
	// Script is shown to administrators only.
	Script string        `json:"script,omitempty"`
	Items  []apiItemView `json:"items,omitempty"`
}

// apiItemView is a Workshop item of a layer in the API.
type apiItemView struct {
	ID            uint64              `json:"id"`
	Title         string              `json:"title"`
	Revision      string              `json:"revision,omitempty"`
	Addon         store.WorkshopAddon `json:"addon"`
	Banned        bool                `json:"banned,omitempty"`
	Removed       bool                `json:"removed,omitempty"`
	Error         string              `json:"error,omitempty"`
	UpdatePending bool                `json:"update_pending,omitempty"`
}

// apiLayerGet answers one layer with its generations (and items).
func (s *Server) apiLayerGet(w http.ResponseWriter, r *http.Request) {
	li, ok := s.layerFor(w, r, true)
	if !ok {
		return
	}
	d := layerDetail{ID: li.ID, Kind: li.Kind, Name: li.Name, Description: li.Description,
		Generations: nonNil(li.Generations), Newest: li.Newest, UsedBy: nonNil(li.UsedBy)}
	if who(r).User.IsAdmin {
		d.Script = li.Script
	}
	if li.Kind == store.LayerWorkshop && s.cfg.Workshop != nil {
		wl, err := s.cfg.Workshop.Layer(r.Context(), li.ID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			s.serverError(w, r, true, err)
			return
		}
		for _, it := range wl.ItemRecords {
			d.Items = append(d.Items, apiItemView{ID: it.ID, Title: it.Title, Revision: it.Revision, Addon: it.Addon,
				Banned: it.Banned, Removed: it.Removed, Error: it.Error, UpdatePending: workshop.UpdatePending(it)})
		}
	}
	writeJSON(w, http.StatusOK, d)
}

package web

import (
	"net/http"

	"github.com/left4me/left4me/internal/instance"
)

// formPage is the create and edit form.
type formPage struct {
	Edit      bool
	Form      instanceForm
	Available []instance.Layer
	Unbuilt   []string // layers with no generation yet, shown disabled
	Error     string
	// Stack is the conflicts of the form's layers (the script updates it
	// as the choice changes).
	Stack *stackReport
}

// layerChoices orders the available layers: the form's selection first, in
// its order, then the rest.
func layerChoices(all []instance.Layer, selected []string) []layerChoice {
	byID := make(map[string]instance.Layer, len(all))
	for _, l := range all {
		byID[l.ID] = l
	}
	var out []layerChoice
	seen := map[string]bool{}
	for _, id := range selected {
		if !seen[id] {
			seen[id] = true
			_, exists := byID[id]
			out = append(out, layerChoice{ID: id, Generation: byID[id].Generation, Checked: true, Missing: !exists})
		}
	}
	for _, l := range all {
		if !seen[l.ID] {
			out = append(out, layerChoice{ID: l.ID, Generation: l.Generation})
		}
	}
	return out
}

// layerChoice is one row of the ordered layer picker.
type layerChoice struct {
	ID         string
	Generation string
	Checked    bool
	Missing    bool
}

// Choices is the layer picker's rows.
func (p formPage) Choices() []layerChoice { return layerChoices(p.Available, p.Form.Layers) }

// instanceNew shows an empty create form.
func (s *Server) instanceNew(w http.ResponseWriter, r *http.Request) {
	if err := s.mayCreate(r.Context(), who(r)); err != nil {
		s.failErr(w, r, err)
		return
	}
	layers, err := s.cfg.Instances.Layers(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	form := instanceForm{Args: "+map c1m1_hotel", ServerCfg: defaultServerCfg, Autostart: true}
	s.render(w, r, http.StatusOK, "instance_form", "New instance", formPage{Form: form, Available: layers, Unbuilt: s.unbuiltLayers(r.Context(), layers)})
}

// defaultServerCfg pre-fills the create form.
const defaultServerCfg = `hostname "left4me server"
sv_region 255
sv_allow_lobby_connect_only 0
`

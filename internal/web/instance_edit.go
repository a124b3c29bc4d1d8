package web

import (
	"net/http"

	"strconv"
	"strings"

	"github.com/left4me/left4me/internal/instance"
)

// instanceEdit shows the edit form (port, layers, arguments).
func (s *Server) instanceEdit(w http.ResponseWriter, r *http.Request) {
	inst, _, ok := s.instanceFor(w, r)
	if !ok {
		return
	}
	form := instanceForm{Name: inst.Name, Port: strconv.Itoa(inst.Port), Layers: inst.Layers, Args: strings.Join(inst.Args, " "), Watchdog: inst.Watchdog, Autostart: inst.Autostart, Pins: instance.FormatPins(inst.Pins)}
	s.showForm(w, r, http.StatusOK, true, form)
}

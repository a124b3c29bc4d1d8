package web

import (
	"errors"
	"net/http"

	"github.com/left4me/left4me/internal/instance"
)

// updateRequest is the body of PATCH /api/v1/instances/{name}; absent
// fields are kept.
type updateRequest struct {
	Port     *int             `json:"port"`
	Layers   *[]string        `json:"layers"`
	Args     *[]string        `json:"args"`
	Watchdog *watchdogSetting `json:"watchdog"`
	// Autostart: start it again after a reboot when it was running.
	Autostart *bool `json:"autostart"`
	// Pin pins "installation" or layers to generations; Unpin removes
	// pins ("all": every one). Both apply at the next start.
	Pin   map[string]string `json:"pin"`
	Unpin []string          `json:"unpin"`
}

// watchdogSetting is the JSON watchdog field: true or false, anything else
// refused as bad input in that field.
type watchdogSetting bool

func (w *watchdogSetting) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case "true":
		*w = true
	case "false":
		*w = false
	default:
		return &instance.FieldError{Field: instance.FieldWatchdog, Err: errors.New("give true or false")}
	}
	return nil
}

// apiInstanceUpdate changes port, layers or arguments (applied at the next
// start) or the watchdog setting (at once).
func (s *Server) apiInstanceUpdate(w http.ResponseWriter, r *http.Request) {
	inst, rl, ok := s.instanceFor(w, r)
	if !ok {
		return
	}
	var req updateRequest
	if err := decodeJSON(r, &req); err != nil {
		if fe := (*instance.FieldError)(nil); errors.As(err, &fe) {
			s.failErr(w, r, fe)
			return
		}
		writeJSON(w, http.StatusBadRequest, apiError{Error: err.Error()})
		return
	}
	updated, err := s.cfg.Instances.Update(r.Context(), inst.Name, instance.Update{Port: req.Port, Layers: req.Layers, Args: req.Args, Watchdog: (*bool)(req.Watchdog), Autostart: req.Autostart, Pin: req.Pin, Unpin: req.Unpin})
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	owners, err := s.ownerNames(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.describe(r.Context(), updated, rl, owners))
}

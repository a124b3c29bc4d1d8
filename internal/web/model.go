package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/views"
)

// LiveState and LivePlayer are the live game state the panel shows of a
// running instance (views.Live is the one shape, shared with the CLI); the
// live poller fills them (PollerLive).
type (
	LiveState  = views.Live
	LivePlayer = views.Player
)

// instanceView is an instance as pages and the API show it: views.Instance,
// the shape the CLI's --json shares, and the viewer's role for the pages.
type instanceView struct {
	views.Instance
	Role role `json:"-"`
}

// CanManage reports whether the viewer may delete the instance and see its RCON password.
func (v instanceView) CanManage() bool { return v.Role.canSeeSecrets() }

// describe builds the view of one instance. The RCON password is included
// only for owners and admins.
func (s *Server) describe(ctx context.Context, inst instance.Instance, rl role, owners views.Names) instanceView {
	st, err := s.cfg.States.Status(ctx, inst.Name)
	if err != nil {
		s.log.Warn("instance status", "instance", inst.Name, "err", err)
	}
	v := instanceView{Instance: views.NewInstance(inst, owners, st, err, rl.canSeeSecrets()), Role: rl}
	if s.cfg.Live != nil && v.Running() {
		if l, ok := s.cfg.Live.Live(inst.Name); ok {
			for i := range l.Players {
				l.Players[i].Seconds = int(l.Players[i].Connected / time.Second)
			}
			l.Players = nonNil(l.Players)
			v.Live = &l
		}
	}
	return v
}

func nonNil[T any](l []T) []T {
	if l == nil {
		return []T{}
	}
	return l
}

// ownerNames maps user ids to names for display (views.UserNames: the one
// lookup the CLI shares).
func (s *Server) ownerNames(ctx context.Context) (views.Names, error) {
	return views.UserNames(ctx, s.cfg.Store)
}

// instanceForm is the create/edit form, also filled from API JSON.
type instanceForm struct {
	Name      string
	Port      string
	Layers    []string
	Args      string
	ServerCfg string
	Errors    map[string]string
}

func (f *instanceForm) fail(field, msg string) {
	if f.Errors == nil {
		f.Errors = make(map[string]string)
	}
	if _, dup := f.Errors[field]; !dup {
		f.Errors[field] = msg
	}
}

// formFromRequest reads the create/edit form.
func formFromRequest(r *http.Request) instanceForm {
	r.ParseForm()
	var layers []string
	for _, l := range r.PostForm["layers"] {
		if l = strings.TrimSpace(l); l != "" {
			layers = append(layers, l)
		}
	}
	return instanceForm{
		Name:      strings.TrimSpace(r.PostFormValue("name")),
		Port:      strings.TrimSpace(r.PostFormValue("port")),
		Layers:    layers,
		Args:      strings.TrimSpace(r.PostFormValue("args")),
		ServerCfg: r.PostFormValue("server_cfg"),
	}
}

// parsePort reads an optional port: "" means pick one.
func parsePort(s string) (int, error) {
	if s == "" || s == "auto" {
		return 0, nil
	}
	p, err := strconv.Atoi(s)
	if err != nil || p < 1024 || p > 65535 {
		return 0, fmt.Errorf("port %q: use a number from 1024 to 65535, or leave it empty to pick a free one", s)
	}
	return p, nil
}

// maxArgsLen bounds the extra arguments line.
const maxArgsLen = 1024

// splitArgs splits the arguments line on white space.
func splitArgs(s string) ([]string, error) {
	if len(s) > maxArgsLen {
		return nil, fmt.Errorf("arguments are longer than %d characters", maxArgsLen)
	}
	return strings.Fields(s), nil
}

// spec validates a create form into a Spec; field errors land in f.Errors.
func (f *instanceForm) spec(owner int64) instance.Spec {
	sp := instance.Spec{Name: f.Name, OwnerID: owner, Layers: f.Layers, ServerCfg: f.ServerCfg}
	if err := layout.ValidateName(f.Name); err != nil {
		f.fail("name", err.Error())
	}
	var err error
	if sp.Port, err = parsePort(f.Port); err != nil {
		f.fail("port", err.Error())
	}
	if sp.Args, err = splitArgs(f.Args); err != nil {
		f.fail("args", err.Error())
	}
	return sp
}

// classify maps an error of the instance service to an HTTP status and the
// form field it concerns. ok is false for errors that are the server's fault.
func classify(err error) (status int, field string, ok bool) {
	switch {
	case errors.Is(err, layout.ErrInvalidName):
		return http.StatusUnprocessableEntity, "name", true
	case errors.Is(err, instance.ErrExists):
		return http.StatusConflict, "name", true
	case errors.Is(err, instance.ErrPortUsed):
		return http.StatusConflict, "port", true
	case errors.Is(err, instance.ErrNoLayer):
		return http.StatusUnprocessableEntity, "layers", true
	case errors.Is(err, instance.ErrInvalid):
		return http.StatusUnprocessableEntity, invalidField(err), true
	case errors.Is(err, instance.ErrBusy), errors.Is(err, instance.ErrMounted), errors.Is(err, instance.ErrNoInstallation):
		return http.StatusConflict, "", true
	case errors.Is(err, instance.ErrNotFound):
		return http.StatusNotFound, "", true
	case errors.Is(err, instance.ErrStopFailed):
		// The server's failure, but one the operator must read: the unit's
		// result and what to do (stop again to retry the unmount).
		return http.StatusBadGateway, "", true
	}
	return http.StatusInternalServerError, "", false
}

// invalidField names the form field an ErrInvalid is about. The service
// words those errors "invalid instance specification: FIELD ...: why".
func invalidField(err error) string {
	_, rest, ok := strings.Cut(err.Error(), instance.ErrInvalid.Error()+": ")
	if !ok {
		return ""
	}
	word := strings.FieldsFunc(rest, func(r rune) bool { return r == ' ' || r == ':' })
	if len(word) == 0 {
		return ""
	}
	switch word[0] {
	case "port", "args", "layers", "name":
		return word[0]
	case "server.cfg":
		return "server_cfg"
	}
	return ""
}

// pathID reads a numeric id from the route's path parameter name: digits
// only, no sign or leading zero, within int64. Anything else (too long,
// signed, not a number) is "no such thing", answered 404 by the callers.
func pathID(r *http.Request, name string) (int64, bool) {
	raw := r.PathValue(name)
	if raw == "" || raw[0] == '0' || strings.Trim(raw, "0123456789") != "" {
		return 0, false
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	return id, err == nil && id > 0
}

package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/roles"
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
func (v instanceView) CanManage() bool { return v.Role.May(roles.Delete) && v.Role.May(roles.Secrets) }

// May reports whether the viewer's role grants the permission named p
// (roles.Permission: "power", "configure", ...); the pages show only the
// controls it allows.
func (v instanceView) May(p string) bool { return v.Role.May(roles.Permission(p)) }

// describe builds the view of one instance. The RCON password is included
// only for owners and admins.
func (s *Server) describe(ctx context.Context, inst instance.Instance, rl role, owners views.Names) instanceView {
	st, err := s.cfg.States.Status(ctx, inst.Name)
	if err != nil {
		s.log.Warn("instance status", "instance", inst.Name, "err", err)
	}
	v := instanceView{Instance: views.NewInstance(inst, owners, st, err, rl.May(roles.Secrets)), Role: rl}
	v.SetConnect(s.cfg.PublicHost)
	v.Stale = s.staleOf(inst.Name)
	if s.cfg.Live != nil && v.Running() {
		// NOTE: a snapshot polled from another run (the previous one,
		// before a restart) is not this run's state: not shown.
		if l, ok := s.cfg.Live.Live(inst.Name); ok && sameRun(l.Run, st.Since) {
			for i := range l.Players {
				l.Players[i].Seconds = int(l.Players[i].Connected / time.Second)
			}
			l.Players = nonNil(l.Players)
			v.Live = &l
		}
	}
	return v
}

// sameRun reports whether live state polled from the run that started at
// run belongs to the run the state since says; either unknown (zero)
// counts as the same.
func sameRun(run, since time.Time) bool {
	return run.IsZero() || since.IsZero() || run.Equal(since)
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
	// Watchdog is the edit form's watchdog box; WatchdogShown says the
	// form had it (a post without it keeps the setting).
	Watchdog      bool
	WatchdogShown bool
	// Autostart is the form's checkbox; AutostartShown says the form had
	// it (a client posting without it leaves the setting as it is).
	Autostart      bool
	AutostartShown bool
	// Pins is the edit form's pins field ("installation=GEN LAYER=GEN",
	// instance.ParsePins); PinsShown says the form had it.
	Pins      string
	PinsShown bool
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
		Name:           strings.TrimSpace(r.PostFormValue("name")),
		Port:           strings.TrimSpace(r.PostFormValue("port")),
		Layers:         layers,
		Args:           strings.TrimSpace(r.PostFormValue("args")),
		ServerCfg:      r.PostFormValue("server_cfg"),
		Watchdog:       r.PostFormValue("watchdog") != "",
		WatchdogShown:  r.PostFormValue("watchdog_shown") != "",
		Autostart:      r.PostFormValue("autostart") == "on",
		AutostartShown: r.PostFormValue("autostart_shown") == "1",
		Pins:           strings.TrimSpace(r.PostFormValue("pins")),
		PinsShown:      r.PostFormValue("pins_shown") == "1",
	}
}

// autostart is the form's autostart setting for the service: nil (kept,
// or on for a new instance) when the form did not show the checkbox.
func (f *instanceForm) autostart() *bool {
	if !f.AutostartShown {
		return nil
	}
	v := f.Autostart
	return &v
}

// formFields are the instance form's fields that show their own error;
// any other field's error is shown above the form.
var formFields = map[string]bool{
	instance.FieldName: true, instance.FieldPort: true, instance.FieldLayers: true,
	instance.FieldArgs: true, instance.FieldServerCfg: true, instance.FieldWatchdog: true,
	instance.FieldPin: true,
}

// failErr puts the message of a known error next to its field, or above the
// form. It returns the answer's status, or false when err is the server's
// fault.
func (f *instanceForm) failErr(err error) (int, bool) {
	a, ok := answerFor(err)
	if !ok {
		return 0, false
	}
	if !formFields[a.field] {
		a.field = "form"
	}
	f.fail(a.field, a.msg)
	return a.status, true
}

// spec reads a create form into a Spec. The name and port are checked here
// (with the instance package's rules) so one answer shows both; the service
// checks everything again and the rest.
func (f *instanceForm) spec(owner int64) instance.Spec {
	sp := instance.Spec{Name: f.Name, OwnerID: owner, Layers: f.Layers, Args: instance.ParseArgs(f.Args), ServerCfg: f.ServerCfg, Autostart: f.autostart()}
	if err := instance.ValidateName(f.Name); err != nil {
		f.failErr(err)
	}
	var err error
	if sp.Port, err = instance.ParsePort(f.Port); err != nil {
		f.failErr(err)
	}
	return sp
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

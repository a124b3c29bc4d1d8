package instance

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/overlay"
	"github.com/left4me/left4me/internal/store"
)

// Default port range (27000–27999, as SocketBindAllow= in the server unit,
// docs/architecture.md §5; 27015 is srcds' default).
const (
	DefaultPortMin = 27015
	DefaultPortMax = 27999
)

// MaxServerCfg is the largest server.cfg accepted, in bytes.
const MaxServerCfg = 256 << 10

// Config configures a Service.
type Config struct {
	Root layout.Root
	// PortMin and PortMax bound every port of every instance's block
	// (inclusive; see BlockSize); zero values mean DefaultPortMin and
	// DefaultPortMax.
	PortMin, PortMax int
	// LogAddress, when set, is announced to every started server with
	// `logaddress_add` (LOG_LISTENER_ADDR); `log on` is staged always.
	LogAddress string
	// LogCap bounds each instance's log files (logcap.go); zero values
	// are the defaults.
	LogCap LogCap
	// StartSlots bounds how many units this host starts at the same
	// moment, across every left4me process (slots.go); zero means
	// DefaultStartSlots.
	StartSlots int
	// Logger receives operational messages; nil discards them.
	Logger *slog.Logger
	// Notifier, when set, hears of started and stopped instances
	// (notify.go).
	Notifier Notifier
	// Bans, when set, gives the players banned on an instance, staged at
	// every start (bancfg.go).
	Bans BanSource
}

// Store is what the service needs from the database (*store.Store).
type Store interface {
	CreateInstance(ctx context.Context, in store.Instance, prepare func() error) (store.Instance, error)
	InstanceByName(ctx context.Context, name string) (store.Instance, error)
	ListInstances(ctx context.Context) ([]store.Instance, error)
	UsedPorts(ctx context.Context) (map[int]string, error)
	UpdateInstance(ctx context.Context, in store.Instance) (store.Instance, error)
	SetWantRunning(ctx context.Context, name string, want bool) error
	SetRCONPassword(ctx context.Context, name, password string) error
	DeleteInstance(ctx context.Context, name string) error
	// For the account limits (quota.go).
	UserByID(ctx context.Context, id int64) (store.User, error)
	InstancesByOwner(ctx context.Context, ownerID int64) ([]store.Instance, error)
}

// Service is the instance lifecycle: it keeps records and files and asks a
// Supervisor to run the servers. It is safe for concurrent use; operations on
// one instance are serialised.
type Service struct {
	cfg   Config
	root  layout.Root
	st    Store
	sup   Supervisor
	log   *slog.Logger
	locks *locker
	// starts bounds concurrent unit starts host-wide.
	starts *slots
	// portFree reports whether a game port can be bound on the host (UDP
	// and TCP), udpFree whether a client port can (UDP); tests replace
	// them.
	portFree func(port int) bool
	udpFree  func(port int) bool
	// watch hears of every run change sup is asked for (watch.go).
	watch *runWatchers
}

// NewService returns a Service over st and sup.
func NewService(cfg Config, st Store, sup Supervisor) *Service {
	if cfg.PortMin == 0 {
		cfg.PortMin = DefaultPortMin
	}
	if cfg.PortMax == 0 {
		cfg.PortMax = DefaultPortMax
	}
	lg := cfg.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	watch := &runWatchers{}
	s := &Service{cfg: cfg, root: cfg.Root, st: st, sup: watchedSupervisor{sup, watch}, watch: watch, log: lg, portFree: hostPortFree, udpFree: hostUDPFree}
	// NOTE: the panel and CLI commands are separate processes working on
	// the same instances; the lock files under instances/ serialise them.
	s.locks = newLocker(cfg.Root.Instances(), s.chown)
	s.starts = newSlots(cfg.Root.Instances(), cfg.StartSlots, s.chown)
	return s
}

// existsErr is the refusal of a name another instance has.
func existsErr(name string) error {
	return fieldKind(FieldName, ErrExists, "an instance named %q already exists", name)
}

func fromRecord(r store.Instance) Instance {
	return Instance{
		Name: r.Name, OwnerID: r.OwnerID, Port: r.Port,
		Layers: r.Layers, Args: r.Args, RCONPassword: r.RCONPassword,
		WantRunning: r.WantRunning, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		Watchdog: r.Watchdog, UnhealthyAt: r.UnhealthyAt, UnhealthyReason: r.UnhealthyReason,
	}
}

// mapStoreErr turns the store's sentinels into the service's.
func mapStoreErr(name string, port int, err error) error {
	switch {
	case errors.Is(err, store.ErrPortConflict):
		return fieldKind(FieldPort, ErrPortUsed, "port %d is used by another instance", port)
	case errors.Is(err, store.ErrConflict):
		return existsErr(name)
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("%w: %q", ErrNotFound, name)
	}
	return err
}

// Get returns an instance's record.
func (s *Service) Get(ctx context.Context, name string) (Instance, error) {
	r, err := s.st.InstanceByName(ctx, name)
	if err != nil {
		return Instance{}, mapStoreErr(name, 0, err)
	}
	return s.withLaunch(fromRecord(r)), nil
}

// withLaunch fills in's LaunchPort from its staged instance.env: the port
// the unit (or the demo's supervisor) started the server with, which a port
// change does not touch until the next start. An instance that never
// started, or whose file cannot be read, has none.
func (s *Service) withLaunch(in Instance) Instance {
	env, err := overlay.ReadEnvFile(s.root.InstanceEnv(in.Name))
	if err == nil {
		in.LaunchPort = env.Port
	}
	in.Autostart = s.readAutostart(in.Name)
	in.Pins = s.readPins(in.Name)
	return in
}

// List returns every instance ordered by name.
func (s *Service) List(ctx context.Context) ([]Instance, error) {
	recs, err := s.st.ListInstances(ctx)
	if err != nil {
		return nil, err
	}
	list := make([]Instance, 0, len(recs))
	for _, r := range recs {
		list = append(list, s.withLaunch(fromRecord(r)))
	}
	return list, nil
}

// validateLayerID refuses ids that cannot be a directory name under
// overlays/ or an overlay lowerdir entry.
func validateLayerID(id string) error {
	switch {
	case id == "":
		return fieldErr(FieldLayers, "a layer id is empty")
	case len(id) > 255:
		return fieldErr(FieldLayers, "layer %q: id longer than 255 bytes", id)
	case strings.HasPrefix(id, "."):
		return fieldErr(FieldLayers, "layer %q: id must not start with '.'", id)
	case strings.ContainsAny(id, "/:,\\"):
		return fieldErr(FieldLayers, "layer %q: id must not contain '/', ':', ',' or '\\'", id)
	case !utf8.ValidString(id):
		return fieldErr(FieldLayers, "layer %q: id is not valid UTF-8", id)
	}
	for _, r := range id {
		if r < 0x20 || r == 0x7f || r == ' ' {
			return fieldErr(FieldLayers, "layer %q: id contains a space or control character", id)
		}
	}
	return nil
}

// managedArgs are set by left4me itself (the unit's ExecStart line).
var managedArgs = map[string]string{
	"-game":     "the game is always left4dead2",
	"+ip":       "the server always binds 0.0.0.0",
	"+hostport": "use the port setting",
	"-port":     "use the port setting",
	// Ports of their own, outside the instance's block (and what
	// SocketBindAllow= permits): refused rather than left to the unit,
	// which does not enforce that line on every systemd.
	"+tv_port":    "SourceTV is off (-nohltv); its port would lie outside the instance's port block",
	"+clientport": "the client port is always the instance's port + 1, inside its port block",
}

func validateArgs(args []string) error {
	if n := len(strings.Join(args, " ")); n > MaxArgsLen {
		return fieldErr(FieldArgs, "%d bytes, more than %d (put long settings in server.cfg)", n, MaxArgsLen)
	}
	for i, a := range args {
		// NOTE: srcds_run re-splits its arguments on whitespace and lets the
		// shell expand wildcards (docs/srcds.md §8): "+hostport " or
		// "x +hostport 27001" would reach the engine as a port of its own.
		if strings.ContainsFunc(a, func(r rune) bool {
			return unicode.IsSpace(r) || unicode.IsControl(r) || r == '*' || r == '?' || r == '['
		}) {
			return fieldErr(FieldArgs, "argument %d %q contains whitespace, a control character or one of * ? [: srcds_run splits its arguments on whitespace and expands wildcards, so pass each word as an argument of its own (a hostname with spaces belongs in server.cfg)", i+1, a)
		}
		if why, ok := managedArgs[strings.ToLower(a)]; ok {
			return fieldErr(FieldArgs, "argument %d %q is set by left4me (%s)", i+1, a, why)
		}
	}
	// The overlay package's encoder decides what instance.env can carry.
	env := overlay.Env{LowerDirs: []string{"/"}, Port: 1, Args: args}
	if err := env.Validate(); err != nil {
		return &FieldError{Field: FieldArgs, Err: err}
	}
	return nil
}

func validateServerCfg(text string) error {
	if len(text) > MaxServerCfg {
		return fieldErr(FieldServerCfg, "longer than %d bytes", MaxServerCfg)
	}
	if i := strings.IndexByte(text, 0); i >= 0 {
		return fieldErr(FieldServerCfg, "NUL byte at offset %d", i)
	}
	return nil
}

// checkLayers validates ids and that each has a generation on disk.
func (s *Service) checkLayers(layers []string) error {
	if len(layers) >= overlay.MaxLayers {
		return fieldErr(FieldLayers, "%d layers, at most %d fit above the installation", len(layers), overlay.MaxLayers-1)
	}
	for i, id := range layers {
		if err := validateLayerID(id); err != nil {
			return err
		}
		if slices.Contains(layers[:i], id) {
			return fieldErr(FieldLayers, "%q is listed twice", id)
		}
		if _, err := newestGeneration(s.root.Overlays(), id); err != nil {
			if errors.Is(err, ErrNoLayer) {
				return &FieldError{Field: FieldLayers, Err: err}
			}
			return err
		}
		// A deleted layer keeps its generations only while instances
		// still name them; GC removes them after the grace period.
		if _, err := os.Lstat(filepath.Join(s.root.Overlays(), id, deletedMarker)); err == nil {
			return fieldKind(FieldLayers, ErrNoLayer, "layer %q was deleted", id)
		}
	}
	return nil
}

func randomPassword() (string, error) {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate RCON password: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Create validates spec, writes the instance's files and its record. On any
// failure nothing of the instance is left behind.
func (s *Service) Create(ctx context.Context, spec Spec) (Instance, error) {
	if err := ValidateName(spec.Name); err != nil {
		return Instance{}, err
	}
	if spec.Template != "" {
		var done func()
		var err error
		if spec, done, err = s.fromTemplate(spec); err != nil {
			return Instance{}, err
		}
		defer done()
	}
	if spec.OwnerID <= 0 {
		return Instance{}, fieldErr(FieldOwner, "no owner given")
	}
	if err := validatePort(spec.Port, true); err != nil {
		return Instance{}, err
	}
	if err := s.checkLayers(spec.Layers); err != nil {
		return Instance{}, err
	}
	if err := validateArgs(spec.Args); err != nil {
		return Instance{}, err
	}
	if err := validateServerCfg(spec.ServerCfg); err != nil {
		return Instance{}, err
	}
	unlock, err := s.locks.lock(ctx, spec.Name)
	if err != nil {
		return Instance{}, err
	}
	defer unlock()
	release, err := s.reserveCreate(ctx, spec.OwnerID)
	if err != nil {
		return Instance{}, err
	}
	defer release()

	if _, err := s.st.InstanceByName(ctx, spec.Name); err == nil {
		return Instance{}, existsErr(spec.Name)
	} else if !errors.Is(err, store.ErrNotFound) {
		return Instance{}, err
	}
	pw := spec.RCONPassword
	if pw == "" {
		if pw, err = randomPassword(); err != nil {
			return Instance{}, err
		}
	}
	rec := store.Instance{
		Name: spec.Name, OwnerID: spec.OwnerID, Port: spec.Port,
		Layers: spec.Layers, Args: spec.Args, RCONPassword: pw,
	}
	if rec.Layers == nil {
		rec.Layers = []string{}
	}
	if rec.Args == nil {
		rec.Args = []string{}
	}
	skip := map[int]bool{}
	// Two panels (or the panel and the CLI) may pick the same free port at
	// once; the database's unique index decides and the loser tries the next.
	for attempt := 0; ; attempt++ {
		if spec.Port == 0 {
			if rec.Port, err = s.pickPort(ctx, skip); err != nil {
				return Instance{}, err
			}
		} else if err := s.checkPort(ctx, spec.Name, spec.Port); err != nil {
			return Instance{}, err
		}
		var created []string
		placed := false
		saved, err := s.st.CreateInstance(ctx, rec, func() error {
			var err error
			created, err = s.createFiles(spec.Name, spec.ServerCfg)
			if err == nil {
				err = s.writeAutostart(spec.Name, autostartOn(spec.Autostart))
			}
			if err == nil && len(spec.pins) > 0 {
				err = s.writePins(spec.Name, spec.pins)
			}
			if err == nil && spec.seed != "" {
				if err = s.placeUpper(spec.Name, spec.seed); err == nil {
					placed = true
				}
			}
			return err
		})
		if err != nil {
			if placed {
				// The seed goes back for the next attempt (or the
				// caller's clean-up).
				if mvErr := os.Rename(s.root.Upper(spec.Name), spec.seed); mvErr != nil {
					s.log.Error("cleanup after failed create", "instance", spec.Name, "path", spec.seed, "err", mvErr)
				}
			}
			for _, p := range slices.Backward(created) {
				if rmErr := os.RemoveAll(p); rmErr != nil {
					s.log.Error("cleanup after failed create", "instance", spec.Name, "path", p, "err", rmErr)
				}
			}
			if errors.Is(err, store.ErrPortConflict) && spec.Port == 0 && attempt < 5 {
				skip[rec.Port] = true
				continue
			}
			if errors.Is(err, store.ErrNotFound) {
				return Instance{}, fieldErr(FieldOwner, "user %d does not exist", spec.OwnerID)
			}
			return Instance{}, mapStoreErr(spec.Name, rec.Port, err)
		}
		s.log.Info("instance created", "instance", spec.Name, "port", saved.Port, "layers", saved.Layers)
		return s.withLaunch(fromRecord(saved)), nil
	}
}

// createFiles makes instances/NAME (with server.cfg) and runtime/NAME/{upper,
// work,merged}. It returns the top directories it created, for cleanup. A
// leftover tree from an interrupted create or delete (no record exists, the
// caller checked) is removed first unless its overlay is still mounted.
func (s *Service) createFiles(name, cfg string) (created []string, err error) {
	for _, dir := range []string{s.root.Instance(name), s.root.Runtime(name)} {
		if _, err := os.Lstat(dir); err == nil {
			if isMountPoint(s.root.Merged(name)) {
				return created, fmt.Errorf("%w: %s is mounted but no instance %q exists; unmount it first", ErrMounted, s.root.Merged(name), name)
			}
			s.log.Warn("removing leftover directory of a non-existent instance", "instance", name, "path", dir)
			if err := s.removeTree(name, dir); err != nil {
				return created, err
			}
		}
	}
	if err := os.MkdirAll(s.root.Instances(), 0o755); err != nil {
		return created, fmt.Errorf("create %s: %w", s.root.Instances(), err)
	}
	if err := os.MkdirAll(s.root.Runtimes(), 0o755); err != nil {
		return created, fmt.Errorf("create %s: %w", s.root.Runtimes(), err)
	}
	if err := os.Mkdir(s.root.Instance(name), 0o750); err != nil {
		return created, fmt.Errorf("create instance directory: %w", err)
	}
	created = append(created, s.root.Instance(name))
	if err := s.chown(s.root.Instance(name)); err != nil {
		return created, err
	}
	if err := s.writeFile(s.root.ServerCfg(name), []byte(cfg), 0o640); err != nil {
		return created, err
	}
	if err := os.Mkdir(s.root.Runtime(name), 0o750); err != nil {
		return created, fmt.Errorf("create runtime directory: %w", err)
	}
	created = append(created, s.root.Runtime(name))
	if err := s.chown(s.root.Runtime(name)); err != nil {
		return created, err
	}
	if err := s.ensureRuntime(name); err != nil {
		return created, err
	}
	return created, nil
}

// Update changes an instance's port, layers, arguments or watchdog
// setting. The watchdog setting applies at once; the rest takes
// effect the next time the instance starts: a running server keeps its
// port until then (Instance.LaunchPort), and that port stays its own, so
// setting it back is no conflict.
func (s *Service) Update(ctx context.Context, name string, u Update) (Instance, error) {
	unlock, err := s.locks.lock(ctx, name)
	if err != nil {
		return Instance{}, err
	}
	defer unlock()
	rec, err := s.st.InstanceByName(ctx, name)
	if err != nil {
		return Instance{}, mapStoreErr(name, 0, err)
	}
	if u.Port != nil && *u.Port != rec.Port {
		if err := validatePort(*u.Port, false); err != nil {
			return Instance{}, err
		}
		own, err := s.runningPort(ctx, name)
		if err != nil {
			return Instance{}, err
		}
		if err := s.checkPortOwn(ctx, name, *u.Port, own); err != nil {
			return Instance{}, err
		}
		rec.Port = *u.Port
	}
	if u.Layers != nil {
		if err := s.checkLayers(*u.Layers); err != nil {
			return Instance{}, err
		}
		rec.Layers = append([]string{}, (*u.Layers)...)
	}
	if u.Args != nil {
		if err := validateArgs(*u.Args); err != nil {
			return Instance{}, err
		}
		rec.Args = append([]string{}, (*u.Args)...)
	}
	if u.Watchdog != nil {
		rec.Watchdog = *u.Watchdog
	}
	pins, pinsChanged, err := s.newPins(name, rec.Layers, u)
	if err != nil {
		return Instance{}, err
	}
	saved, err := s.st.UpdateInstance(ctx, rec)
	if err != nil {
		return Instance{}, mapStoreErr(name, rec.Port, err)
	}
	if pinsChanged {
		if err := s.writePins(name, pins); err != nil {
			return Instance{}, err
		}
	}
	if u.Autostart != nil {
		if err := s.writeAutostart(name, *u.Autostart); err != nil {
			return Instance{}, err
		}
	}
	return s.withLaunch(fromRecord(saved)), nil
}

// RotateRCONPassword gives an instance a new random RCON password, stored
// at once, and returns the instance before and after. The launch cfg
// (LaunchCfgName) sets the stored password at the next start; setting it
// live on a running server is the console's (rcon.Console.SetPassword),
// as only the running server's old password reaches it.
func (s *Service) RotateRCONPassword(ctx context.Context, name string) (old, rotated Instance, err error) {
	unlock, err := s.locks.lock(ctx, name)
	if err != nil {
		return Instance{}, Instance{}, err
	}
	defer unlock()
	rec, err := s.st.InstanceByName(ctx, name)
	if err != nil {
		return Instance{}, Instance{}, mapStoreErr(name, 0, err)
	}
	pw, err := randomPassword()
	if err != nil {
		return Instance{}, Instance{}, err
	}
	if err := s.st.SetRCONPassword(ctx, name, pw); err != nil {
		return Instance{}, Instance{}, mapStoreErr(name, 0, err)
	}
	old = fromRecord(rec)
	rec.RCONPassword = pw
	return old, fromRecord(rec), nil
}

// Update is a partial change of an instance; nil fields are kept.
type Update struct {
	Port      *int
	Layers    *[]string
	Args      *[]string
	Autostart *bool
	// Watchdog turns the watchdog on or off; it applies at once.
	Watchdog *bool
	// Pin pins the installation (layout.PinInstallation) or a layer of the
	// instance to a generation; Unpin removes pins (UnpinAll: every one).
	// Both apply at the next start (pins.go).
	Pin   map[string]string
	Unpin []string
}

// ServerCfg returns the operator's server.cfg of an instance.
func (s *Service) ServerCfg(ctx context.Context, name string) (string, error) {
	if _, err := s.Get(ctx, name); err != nil {
		return "", err
	}
	b, err := os.ReadFile(s.root.ServerCfg(name))
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read server.cfg of %s: %w", name, err)
	}
	return string(b), nil
}

// SetServerCfg replaces the operator's server.cfg. It is staged into the
// instance the next time it starts.
func (s *Service) SetServerCfg(ctx context.Context, name, text string) error {
	if err := validateServerCfg(text); err != nil {
		return err
	}
	unlock, err := s.locks.lock(ctx, name)
	if err != nil {
		return err
	}
	defer unlock()
	if _, err := s.st.InstanceByName(ctx, name); err != nil {
		return mapStoreErr(name, 0, err)
	}
	if err := os.MkdirAll(s.root.Instance(name), 0o750); err != nil {
		return fmt.Errorf("write server.cfg of %s: %w", name, err)
	}
	return s.writeFile(s.root.ServerCfg(name), []byte(text), 0o640)
}

// Layer is a content layer available to instances: its newest generation.
type Layer struct {
	ID         string
	Generation string
	Path       string
}

// deletedMarker, inside overlays/<id>/, marks a layer the content service
// deleted (content.DeletedMarker): its generations stay on disk while an
// instance still names them, but it is no longer offered.
const deletedMarker = ".deleted"

// Layers lists the content layers under overlays/ that have at least one
// generation and are not marked deleted, ordered by id.
func (s *Service) Layers(ctx context.Context) ([]Layer, error) {
	entries, err := os.ReadDir(s.root.Overlays())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list layers: %w", err)
	}
	var layers []Layer
	for _, e := range entries {
		if !e.IsDir() || validateLayerID(e.Name()) != nil {
			continue
		}
		if _, err := os.Lstat(filepath.Join(s.root.Overlays(), e.Name(), deletedMarker)); err == nil {
			continue
		}
		gen, err := newestGeneration(s.root.Overlays(), e.Name())
		if err != nil {
			continue
		}
		layers = append(layers, Layer{ID: e.Name(), Generation: gen, Path: s.root.Overlay(e.Name(), gen)})
	}
	return layers, nil
}

package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/overlay"
	"github.com/left4me/left4me/internal/schedule"
	"github.com/left4me/left4me/internal/store"
)

// The fields a FieldError (instance.FieldError) of this package names.
const (
	FieldName       = instance.FieldName
	FieldOwner      = instance.FieldOwner
	FieldLayers     = instance.FieldLayers
	FieldFile       = "file"
	FieldKeepDaily  = "keep_daily"
	FieldKeepWeekly = "keep_weekly"
)

// Kinds of backup: made by someone, or by a schedule (only these are
// pruned by the retention).
const (
	KindManual    = "manual"
	KindScheduled = "scheduled"
)

// Instances is what backups need of the instance service
// (*instance.Service).
type Instances interface {
	Get(ctx context.Context, name string) (instance.Instance, error)
	Create(ctx context.Context, spec instance.Spec) (instance.Instance, error)
	Update(ctx context.Context, name string, u instance.Update) (instance.Instance, error)
	Delete(ctx context.Context, name string) error
	ServerCfg(ctx context.Context, name string) (string, error)
}

// Schedules lists and adds an instance's schedules (*schedule.Service).
type Schedules interface {
	List(ctx context.Context, name string) ([]schedule.Schedule, error)
	Add(ctx context.Context, name string, sp schedule.Spec, u schedule.User) (schedule.Schedule, error)
}

// Store is what backups need of the database (*store.Store).
type Store interface {
	UserByID(ctx context.Context, id int64) (store.User, error)
	UserByName(ctx context.Context, name string) (store.User, error)
	BackupRetention(ctx context.Context, instance string) (daily, weekly int, ok bool, err error)
	SetBackupRetention(ctx context.Context, instance string, daily, weekly int) error
}

// Config configures a Service.
type Config struct {
	Root layout.Root
	// Dir holds the backups, one directory per instance; empty is
	// Root.Backups().
	Dir       string
	Instances Instances
	Schedules Schedules // nil: backups hold no schedules
	Store     Store
	Logger    *slog.Logger
	Now       func() time.Time // time.Now when nil
	// MaxRestore bounds how many bytes of files a restore unpacks (an
	// archive that expands without end); 0 is DefaultMaxRestore.
	MaxRestore int64
	// Location is the time zone whose days and weeks the retention
	// counts (the schedules'); time.Local when nil.
	Location *time.Location
}

// DefaultMaxRestore is the most a restore unpacks: far more than an
// instance's upper holds (configs, plugin data, logs, a few maps).
const DefaultMaxRestore int64 = 64 << 30

// Service makes, lists, prunes and restores backups.
type Service struct {
	cfg Config
	log *slog.Logger
}

// New returns a Service.
func New(cfg Config) *Service {
	if cfg.Dir == "" {
		cfg.Dir = cfg.Root.Backups()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxRestore <= 0 {
		cfg.MaxRestore = DefaultMaxRestore
	}
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	lg := cfg.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	return &Service{cfg: cfg, log: lg}
}

// Dir is where the backups are kept.
func (s *Service) Dir() string { return s.cfg.Dir }

// Options are how a backup is made.
type Options struct {
	// WithRCONPassword puts the instance's RCON password into the backup.
	WithRCONPassword bool
	// Kind is KindManual (the default) or KindScheduled.
	Kind string
}

// Info is one stored backup.
type Info struct {
	File      string // the file name, unique per instance
	Instance  string
	Kind      string
	Size      int64
	CreatedAt time.Time
	Path      string
}

const stampLayout = "20060102T150405.000Z"

var fileRE = regexp.MustCompile(`^([a-z0-9][a-z0-9_-]{0,63})-(\d{8}T\d{6}\.\d{3}Z)-(manual|scheduled)\.tar\.zst$`)

// parseFile reads a backup's file name.
func parseFile(file string) (Info, bool) {
	m := fileRE.FindStringSubmatch(file)
	if m == nil {
		return Info{}, false
	}
	t, err := time.Parse(stampLayout, m[2])
	if err != nil {
		return Info{}, false
	}
	return Info{File: file, Instance: m[1], Kind: m[3], CreatedAt: t}, true
}

// Backup makes a backup of instance name and stores it in the backups
// directory.
func (s *Service) Backup(ctx context.Context, name string, opts Options) (Info, error) {
	if opts.Kind == "" {
		opts.Kind = KindManual
	}
	if _, err := s.cfg.Instances.Get(ctx, name); err != nil {
		return Info{}, err
	}
	dir := filepath.Join(s.cfg.Dir, name)
	if err := s.checkDirWritable(dir); err != nil {
		return Info{}, fmt.Errorf("backup of %s: %w", name, err)
	}
	now := s.cfg.Now().UTC()
	file := fmt.Sprintf("%s-%s-%s%s", name, now.Format(stampLayout), opts.Kind, Ext)
	p := filepath.Join(dir, file)
	if err := s.BackupTo(ctx, name, p, opts); err != nil {
		return Info{}, err
	}
	fi, err := os.Stat(p)
	if err != nil {
		return Info{}, fmt.Errorf("backup of %s: %w", name, err)
	}
	s.log.Info("backup made", "instance", name, "file", p, "size", fi.Size())
	return Info{File: file, Instance: name, Kind: opts.Kind, Size: fi.Size(), CreatedAt: now.Truncate(time.Millisecond), Path: p}, nil
}

// maxAttempts is how often a backup starts again when a file changed
// while it was read.
const maxAttempts = 3

// BackupTo writes a backup of instance name to the file dest (replaced
// when it exists, only once the backup is complete).
func (s *Service) BackupTo(ctx context.Context, name, dest string, opts Options) (err error) {
	rec, err := s.record(ctx, name, opts)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(dest), ".backup-*")
	if err != nil {
		return fmt.Errorf("backup of %s: %w", name, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	for attempt := 1; ; attempt++ {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("backup of %s: %w", name, err)
		}
		if err := f.Truncate(0); err != nil {
			return fmt.Errorf("backup of %s: %w", name, err)
		}
		err = writeArchive(ctx, f, s.cfg.Root.Upper(name), rec)
		if err == nil {
			break
		}
		if !isChanged(err) || attempt == maxAttempts {
			if isChanged(err) {
				return fmt.Errorf("backup of %s: %w, %d times: stop the instance, or back it up when it is quieter", name, err, maxAttempts)
			}
			return fmt.Errorf("backup of %s: %w", name, err)
		}
		s.log.Info("a file changed during the backup; starting again", "instance", name, "err", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("backup of %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("backup of %s: %w", name, err)
	}
	if err := s.chown(f.Name()); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), dest); err != nil {
		return fmt.Errorf("backup of %s: %w", name, err)
	}
	return nil
}

// record is instance name as a backup holds it.
func (s *Service) record(ctx context.Context, name string, opts Options) (Record, error) {
	in, err := s.cfg.Instances.Get(ctx, name)
	if err != nil {
		return Record{}, err
	}
	owner, err := s.cfg.Store.UserByID(ctx, in.OwnerID)
	if err != nil {
		return Record{}, fmt.Errorf("backup of %s: owner: %w", name, err)
	}
	cfg, err := s.cfg.Instances.ServerCfg(ctx, name)
	if err != nil {
		return Record{}, err
	}
	rec := Record{
		Format: Format, Name: in.Name, Owner: owner.Name, Port: in.Port, Args: in.Args,
		ServerCfg: cfg, Watchdog: in.Watchdog, Autostart: in.Autostart, Schedules: []ScheduleRec{},
		CreatedAt: s.cfg.Now().UTC(),
	}
	if rec.Args == nil {
		rec.Args = []string{}
	}
	rec.Installation, rec.Layers = s.stack(in)
	rec.Pins = in.Pins
	if opts.WithRCONPassword {
		rec.RCONPassword = in.RCONPassword
	}
	if s.cfg.Schedules != nil {
		list, err := s.cfg.Schedules.List(ctx, name)
		if err != nil {
			return Record{}, err
		}
		for _, sc := range list {
			r := ScheduleRec{Action: string(sc.Action), Command: sc.Command, When: string(sc.When.Kind) + " " + sc.When.Spec, Policy: string(sc.Policy)}
			if sc.Policy == schedule.WhenEmpty {
				r.MaxWait, r.OnTimeout = sc.MaxWait.String(), string(sc.OnTimeout)
			}
			rec.Schedules = append(rec.Schedules, r)
		}
	}
	if d, w, ok, err := s.cfg.Store.BackupRetention(ctx, name); err != nil {
		return Record{}, err
	} else if ok {
		rec.Retention = &Retention{KeepDaily: d, KeepWeekly: w}
	}
	return rec, nil
}

// stack is the instance's installation and layers with the generations
// it was last staged on (its instance.env), or the newest of each when it
// never started.
func (s *Service) stack(in instance.Instance) (string, []LayerRef) {
	staged := map[string]string{}
	inst := ""
	if env, err := overlay.ReadEnvFile(s.cfg.Root.InstanceEnv(in.Name)); err == nil {
		for _, d := range env.LowerDirs {
			if rel, err := filepath.Rel(s.cfg.Root.Overlays(), d); err == nil && !strings.HasPrefix(rel, "..") {
				if id, gen, ok := strings.Cut(rel, string(filepath.Separator)); ok {
					staged[id] = gen
				}
			}
			if rel, err := filepath.Rel(s.cfg.Root.Installations(), d); err == nil && !strings.HasPrefix(rel, "..") {
				inst = rel
			}
		}
	}
	if inst == "" {
		inst, _ = layout.Newest(s.cfg.Root.Installations())
	}
	layers := make([]LayerRef, 0, len(in.Layers))
	for _, id := range in.Layers {
		gen, ok := staged[id]
		if !ok {
			gen, _ = layout.Newest(filepath.Join(s.cfg.Root.Overlays(), id))
		}
		layers = append(layers, LayerRef{ID: id, Generation: gen})
	}
	return inst, layers
}

// List returns the stored backups of instance name, newest first.
func (s *Service) List(ctx context.Context, name string) ([]Info, error) {
	if err := layout.ValidateName(name); err != nil {
		return nil, &instance.FieldError{Field: FieldName, Err: err}
	}
	dir := filepath.Join(s.cfg.Dir, name)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return []Info{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list the backups of %s: %w", name, err)
	}
	out := []Info{}
	for _, e := range entries {
		in, ok := parseFile(e.Name())
		if !ok || in.Instance != name || !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue
		}
		in.Size, in.Path = fi.Size(), filepath.Join(dir, e.Name())
		out = append(out, in)
	}
	slices.SortFunc(out, func(a, b Info) int { return b.CreatedAt.Compare(a.CreatedAt) })
	return out, nil
}

// Open opens stored backup file of instance name for reading.
func (s *Service) Open(ctx context.Context, name, file string) (*os.File, Info, error) {
	in, ok := parseFile(file)
	if !ok || in.Instance != name {
		return nil, Info{}, fmt.Errorf("%s has no backup %q: %w", name, file, ErrNotFound)
	}
	in.Path = filepath.Join(s.cfg.Dir, name, file)
	f, err := os.Open(in.Path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, Info{}, fmt.Errorf("%s has no backup %q: %w", name, file, ErrNotFound)
	}
	if err != nil {
		return nil, Info{}, fmt.Errorf("open backup %s: %w", file, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, Info{}, fmt.Errorf("open backup %s: %w", file, err)
	}
	in.Size = fi.Size()
	return f, in, nil
}

// fileOwner is the owner files under the state root should have: when run
// as root (the CLI on a host), the state root's owner, so that the panel
// and the server unit can use them (docs/lifecycle.md rule 8).
func (s *Service) fileOwner() (uid, gid int) {
	if os.Geteuid() != 0 {
		return -1, -1
	}
	var st syscall.Stat_t
	if err := syscall.Stat(s.cfg.Root.String(), &st); err != nil || st.Uid == 0 {
		return -1, -1
	}
	return int(st.Uid), int(st.Gid)
}

func (s *Service) chown(p string) error {
	uid, gid := s.fileOwner()
	if uid == -1 {
		return nil
	}
	if err := os.Lchown(p, uid, gid); err != nil {
		return fmt.Errorf("chown %s: %w", p, err)
	}
	return nil
}

// chownTree gives everything under dir to the state root's owner (root
// only; an unprivileged restore creates the files as itself).
func (s *Service) chownTree(dir string) error {
	if uid, _ := s.fileOwner(); uid == -1 {
		return nil
	}
	return filepath.WalkDir(dir, func(p string, _ os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return s.chown(p)
	})
}

// mkdirOwned makes dir and its missing parents, owner-only: backups hold
// server.cfg and may hold the RCON password.
func (s *Service) mkdirOwned(dir string) error {
	if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
		return nil
	}
	if parent := filepath.Dir(dir); parent != dir {
		if err := s.mkdirOwned(parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	return s.chown(dir)
}

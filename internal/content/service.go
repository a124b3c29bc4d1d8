package content

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/left4me/left4me/internal/archive"
	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/steamcmd"
	"github.com/left4me/left4me/internal/store"
)

// Store is what the content service needs from the database (*store.Store).
type Store interface {
	CreateLayer(ctx context.Context, l store.Layer) (store.Layer, error)
	LayerByID(ctx context.Context, id string) (store.Layer, error)
	ListLayers(ctx context.Context) ([]store.Layer, error)
	UpdateLayer(ctx context.Context, l store.Layer) (store.Layer, error)
	DeleteLayer(ctx context.Context, id string) error
	StartContentBuild(ctx context.Context, b store.ContentBuild) error
	FinishContentBuild(ctx context.Context, id, status, generation, errMsg string) error
	FailRunningContentBuilds(ctx context.Context, t time.Time, msg string) (int64, error)
	ListInstances(ctx context.Context) ([]store.Instance, error)
}

// Config configures a Service.
type Config struct {
	Root layout.Root
	// Sandbox runs script builds (SystemdSandbox in production, DevSandbox
	// for the demo and tests).
	Sandbox Sandbox
	// UploadLimits bound uploaded archives; zero fields take
	// archive.DefaultLimits.
	UploadLimits archive.Limits
	// SDKHome, when set, is the service user's home, where Install
	// maintains .steam/sdk32 (EnsureSDK32).
	SDKHome string
	// Grace is how long superseded generations are kept (GC); zero means
	// DefaultGrace.
	Grace time.Duration
	// Logger receives operational messages; nil discards them.
	Logger *slog.Logger
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Prune are the other clean-ups the daily GC job runs (the audit
	// log's retention); each returns a line for the job's log.
	Prune []func(ctx context.Context) (string, error)
}

// Service manages content layers and installation generations.
type Service struct {
	cfg  Config
	root layout.Root
	st   Store
	log  *slog.Logger
	now  func() time.Time
}

// NewService returns a Service.
func NewService(cfg Config, st Store) *Service {
	lg := cfg.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Service{cfg: cfg, root: cfg.Root, st: st, log: lg, now: now}
}

// ErrInvalid is wrapped by errors about bad input.
var ErrInvalid = errors.New("invalid")

var layerIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// ValidateLayerID checks a layer id: 1-64 characters a-z, 0-9, '_' or '-',
// starting with a letter or digit (a directory name under overlays/ and an
// entry of L4D2_LOWERDIRS).
func ValidateLayerID(id string) error {
	if !layerIDPattern.MatchString(id) {
		return &FieldError{Field: FieldID, Err: fmt.Errorf("invalid layer id %q: use 1-64 characters a-z, 0-9, '_' or '-', starting with a letter or digit", id)}
	}
	return nil
}

// MaxScript is the largest script accepted, in bytes.
const MaxScript = 256 << 10

func validateScript(script string) error {
	switch {
	case strings.TrimSpace(script) == "":
		return &FieldError{Field: FieldScript, Err: errors.New("empty")}
	case len(script) > MaxScript:
		return &FieldError{Field: FieldScript, Err: fmt.Errorf("longer than %d bytes", MaxScript)}
	case strings.ContainsRune(script, 0):
		return &FieldError{Field: FieldScript, Err: errors.New("contains a NUL byte")}
	}
	return nil
}

// LayerInfo is a layer with what is on disk.
type LayerInfo struct {
	store.Layer
	// Generations on disk, oldest first; Newest is the last one ("" when
	// the layer was never built).
	Generations []string
	Newest      string
	// Path of the newest generation.
	Path string
	// UsedBy lists the instances whose layer list names this layer.
	UsedBy []string
}

// Layers lists the layers in the database with their generations. Layers
// that exist only on disk (made by hand or by another subsystem) are listed
// with Kind "" .
func (s *Service) Layers(ctx context.Context) ([]LayerInfo, error) {
	recs, err := s.st.ListLayers(ctx)
	if err != nil {
		return nil, err
	}
	insts, err := s.st.ListInstances(ctx)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []LayerInfo
	for _, r := range recs {
		seen[r.ID] = true
		li, err := s.info(r, insts)
		if err != nil {
			return nil, err
		}
		out = append(out, li)
	}
	entries, _ := os.ReadDir(s.root.Overlays())
	for _, e := range entries {
		if !e.IsDir() || seen[e.Name()] || ValidateLayerID(e.Name()) != nil {
			continue
		}
		li, err := s.info(store.Layer{ID: e.Name(), Name: e.Name()}, insts)
		if err != nil {
			return nil, err
		}
		if li.Newest != "" {
			out = append(out, li)
		}
	}
	slices.SortFunc(out, func(a, b LayerInfo) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// Layer returns one layer with its generations.
func (s *Service) Layer(ctx context.Context, id string) (LayerInfo, error) {
	if err := ValidateLayerID(id); err != nil {
		return LayerInfo{}, err
	}
	rec, err := s.st.LayerByID(ctx, id)
	if err != nil {
		return LayerInfo{}, err
	}
	insts, err := s.st.ListInstances(ctx)
	if err != nil {
		return LayerInfo{}, err
	}
	return s.info(rec, insts)
}

func (s *Service) info(rec store.Layer, insts []store.Instance) (LayerInfo, error) {
	gens, err := layout.Generations(filepath.Join(s.root.Overlays(), rec.ID))
	if err != nil {
		return LayerInfo{}, err
	}
	li := LayerInfo{Layer: rec, Generations: gens}
	if len(gens) > 0 {
		li.Newest = gens[len(gens)-1]
		li.Path = s.root.Overlay(rec.ID, li.Newest)
	}
	for _, in := range insts {
		if slices.Contains(in.Layers, rec.ID) {
			li.UsedBy = append(li.UsedBy, in.Name)
		}
	}
	return li, nil
}

// CreateScript stores a new script layer (not built yet).
func (s *Service) CreateScript(ctx context.Context, l store.Layer) (store.Layer, error) {
	if err := ValidateLayerID(l.ID); err != nil {
		return store.Layer{}, err
	}
	if err := validateScript(l.Script); err != nil {
		return store.Layer{}, err
	}
	if l.Name == "" {
		l.Name = l.ID
	}
	l.Kind = store.LayerScript
	if err := s.checkNoDeletedLeftover(l.ID); err != nil {
		return store.Layer{}, err
	}
	return s.st.CreateLayer(ctx, l)
}

// checkNoDeletedLeftover refuses to reuse the id of a deleted layer whose
// generations are still in use: they would count as the new layer's.
func (s *Service) checkNoDeletedLeftover(id string) error {
	dir := filepath.Join(s.root.Overlays(), id)
	if _, err := os.Lstat(filepath.Join(dir, DeletedMarker)); err == nil {
		gens, _ := layout.Generations(dir)
		if len(gens) > 0 {
			return &FieldError{Field: FieldID, Err: fmt.Errorf("layer id %q: a deleted layer of that name still has generations in use; pick another id or wait for garbage collection", id)}
		}
		if err := RemoveTree(dir); err != nil {
			return err
		}
	}
	return nil
}

// SetScript replaces a script layer's script. The next build uses it.
func (s *Service) SetScript(ctx context.Context, id, script string) (store.Layer, error) {
	if err := ValidateLayerID(id); err != nil {
		return store.Layer{}, err
	}
	if err := validateScript(script); err != nil {
		return store.Layer{}, err
	}
	l, err := s.st.LayerByID(ctx, id)
	if err != nil {
		return store.Layer{}, err
	}
	if l.Kind != store.LayerScript {
		return store.Layer{}, fmt.Errorf("%w: layer %q is a %s layer, not a script layer", ErrInvalid, id, l.Kind)
	}
	l.Script = script
	return s.st.UpdateLayer(ctx, l)
}

// Delete removes a layer that no instance lists: its record, every
// generation no instance.env names, and (through GC, after the grace
// period) the rest.
func (s *Service) Delete(ctx context.Context, id string) error {
	if err := ValidateLayerID(id); err != nil {
		return err
	}
	insts, err := s.st.ListInstances(ctx)
	if err != nil {
		return err
	}
	var users []string
	for _, in := range insts {
		if slices.Contains(in.Layers, id) {
			users = append(users, in.Name)
		}
	}
	if len(users) > 0 {
		return fmt.Errorf("%w: layer %q is used by instance(s) %s; remove it from them first", ErrInvalid, id, strings.Join(users, ", "))
	}
	if err := s.st.DeleteLayer(ctx, id); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	} else if err != nil {
		// Not in the database: allowed only for a directory on disk.
		if _, serr := os.Stat(filepath.Join(s.root.Overlays(), id)); serr != nil {
			return err
		}
	}
	dir := filepath.Join(s.root.Overlays(), id)
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err := os.WriteFile(filepath.Join(dir, DeletedMarker), nil, 0o644); err != nil {
		return fmt.Errorf("delete layer %q: %w", id, err)
	}
	refs, err := Referenced(s.root)
	if err != nil {
		return fmt.Errorf("delete layer %q: %w", id, err)
	}
	gens, err := layout.Generations(dir)
	if err != nil {
		return err
	}
	left := 0
	for _, g := range gens {
		p := filepath.Join(dir, g)
		if refs[realPath(p)] {
			left++
			continue
		}
		if err := RemoveTree(p); err != nil {
			return err
		}
	}
	if left == 0 {
		return RemoveTree(dir)
	}
	s.log.Info("layer deleted; generations still named by an instance are kept until garbage collection", "layer", id, "kept", left)
	return nil
}

// BuildResult describes a finished layer build.
type BuildResult struct {
	BuildID    string
	Generation string
	Path       string
	BuildDir   string
}

// record wraps a build in its database row.
func (s *Service) record(ctx context.Context, b store.ContentBuild, fn func() (string, error)) (string, error) {
	if err := s.st.StartContentBuild(ctx, b); err != nil {
		return "", err
	}
	gen, err := fn()
	status, msg := store.BuildSucceeded, ""
	if err != nil {
		status, msg = store.BuildFailed, err.Error()
	}
	if ferr := s.st.FinishContentBuild(context.WithoutCancel(ctx), b.ID, status, gen, msg); ferr != nil {
		s.log.Error("record build end", "build", b.ID, "err", ferr)
	}
	return gen, err
}

// Install runs an installation build (see the package function Install)
// and records it; afterwards the sdk32 link is maintained when SDKHome is
// configured.
func (s *Service) Install(ctx context.Context, r steamcmd.Runner, validate bool, userID int64, p Progress) (InstallResult, error) {
	return s.InstallHolding(ctx, r, validate, false, userID, p)
}

// InstallHolding is Install; hold keeps the current default generation
// the default of new starts (InstallOptions.HoldDefault), for a canary.
func (s *Service) InstallHolding(ctx context.Context, r steamcmd.Runner, validate, hold bool, userID int64, p Progress) (InstallResult, error) {
	now := s.now()
	var res InstallResult
	id := NewBuildID("install", now)
	_, err := s.record(ctx, store.ContentBuild{ID: id, Kind: "install", UserID: userID}, func() (string, error) {
		var err error
		res, err = Install(ctx, InstallOptions{Root: s.root, Runner: r, Validate: validate, Now: now, BuildID: id, HoldDefault: hold}, p)
		return res.Generation, err
	})
	if err != nil {
		return res, err
	}
	if s.cfg.SDKHome != "" {
		if changed, err := EnsureSDK32(s.cfg.SDKHome, s.root.Steam()); err != nil {
			p.Logf("warning: %v", err)
		} else if changed {
			p.Logf("linked %s/.steam/sdk32 to %s/linux32", s.cfg.SDKHome, s.root.Steam())
		}
	}
	return res, nil
}

// RecoverBuilds marks the builds recorded as running that started before
// the calling process (started) as failed: a killed panel or CLI leaves
// them so. It also removes what killed uploads left in their build
// directories (SweepUploads: a first upload of a layer has no record to
// find it by). Call it once when the panel starts, before its job workers.
func (s *Service) RecoverBuilds(ctx context.Context, started time.Time) (int64, error) {
	n, err := s.st.FailRunningContentBuilds(ctx, started, "interrupted: the process running it stopped")
	removed, serr := SweepUploads(s.root)
	for _, p := range removed {
		s.log.Info("removed the leftovers of an interrupted upload", "path", p)
	}
	return n, errors.Join(err, serr)
}

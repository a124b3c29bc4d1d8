package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/schedule"
	"github.com/left4me/left4me/internal/store"
)

// RestoreOptions are how an archive is restored.
type RestoreOptions struct {
	// Name is the new instance's name; empty: the name in the archive.
	Name string
	// OwnerID owns the new instance; 0: the account the archive names.
	OwnerID int64
}

// Result is a restored instance and what the operator should know:
// generations that are gone, a port that was taken.
type Result struct {
	Instance instance.Instance
	Warnings []string
}

// Restore reads an archive from r, verifies all of it and recreates the
// instance. A refused archive (ErrRefused), a taken name, a missing layer
// or owner (instance.FieldError naming the field) leave nothing behind.
func (s *Service) Restore(ctx context.Context, r io.Reader, opts RestoreOptions) (Result, error) {
	if opts.Name != "" {
		if err := s.nameFree(ctx, opts.Name, true); err != nil {
			return Result{}, err
		}
	}
	if err := os.MkdirAll(s.cfg.Root.Runtimes(), 0o755); err != nil {
		return Result{}, fmt.Errorf("restore: %w", err)
	}
	// The staging directory is on the runtime file system, so that its
	// upper is moved into place, not copied; its name, with a dot, is no
	// instance's.
	staging, err := os.MkdirTemp(s.cfg.Root.Runtimes(), ".restore-")
	if err != nil {
		return Result{}, fmt.Errorf("restore: %w", err)
	}
	defer os.RemoveAll(staging)
	rec, err := extract(ctx, r, staging, s.cfg.MaxRestore)
	if err != nil {
		return Result{}, err
	}
	name := opts.Name
	if name == "" {
		name = rec.Name
		if err := s.nameFree(ctx, name, false); err != nil {
			return Result{}, err
		}
	}
	ownerID := opts.OwnerID
	if ownerID == 0 {
		u, err := s.cfg.Store.UserByName(ctx, rec.Owner)
		if errors.Is(err, store.ErrNotFound) {
			return Result{}, &instance.FieldError{Field: FieldOwner, Err: fmt.Errorf("the archive's owner %q has no account on this host: restore with an owner (--owner USER)", rec.Owner)}
		}
		if err != nil {
			return Result{}, err
		}
		ownerID = u.ID
	}
	warnings, err := s.checkStack(rec)
	if err != nil {
		return Result{}, err
	}
	autostart := rec.Autostart
	spec := instance.Spec{
		Name: name, OwnerID: ownerID, Port: rec.Port, Args: rec.Args, ServerCfg: rec.ServerCfg,
		Autostart: &autostart, RCONPassword: rec.RCONPassword,
	}
	// An archive without upper/ restores an empty one.
	upper := filepath.Join(staging, upperEntry)
	if err := os.MkdirAll(upper, 0o755); err != nil {
		return Result{}, fmt.Errorf("restore %s: %w", name, err)
	}
	if err := s.chownTree(upper); err != nil {
		return Result{}, fmt.Errorf("restore %s: %w", name, err)
	}
	spec.UseUpper(upper)
	for _, l := range rec.Layers {
		spec.Layers = append(spec.Layers, l.ID)
	}
	_, err = s.cfg.Instances.Create(ctx, spec)
	if errors.Is(err, instance.ErrPortUsed) {
		warnings = append(warnings, fmt.Sprintf("port %d is taken on this host: %s got a free port instead", rec.Port, name))
		spec.Port = 0
		_, err = s.cfg.Instances.Create(ctx, spec)
	}
	if err != nil {
		return Result{}, err
	}
	if err := s.restoreSettings(ctx, name, ownerID, rec); err != nil {
		if delErr := s.cfg.Instances.Delete(ctx, name); delErr != nil {
			s.log.Error("remove a half-restored instance", "instance", name, "err", delErr)
		}
		return Result{}, err
	}
	in, err := s.cfg.Instances.Get(ctx, name)
	if err != nil {
		return Result{}, err
	}
	if rec.RCONPassword == "" {
		warnings = append(warnings, "the backup holds no RCON password: "+name+" has a new one")
	}
	s.log.Info("instance restored", "instance", name, "from", rec.Name, "warnings", len(warnings))
	return Result{Instance: in, Warnings: warnings}, nil
}

// nameFree refuses a bad name or one an instance has.
func (s *Service) nameFree(ctx context.Context, name string, given bool) error {
	if err := layout.ValidateName(name); err != nil {
		return &instance.FieldError{Field: FieldName, Err: err}
	}
	_, err := s.cfg.Instances.Get(ctx, name)
	switch {
	case err == nil && given:
		return &instance.FieldError{Field: FieldName, Err: &kindErr{instance.ErrExists, fmt.Sprintf("an instance named %q already exists: choose another name", name)}}
	case err == nil:
		return &instance.FieldError{Field: FieldName, Err: &kindErr{instance.ErrExists, fmt.Sprintf("an instance named %q already exists: restore under a new name (--name NEW, the form's or the API's name), or delete %s first", name, name)}}
	case errors.Is(err, instance.ErrNotFound):
		return nil
	}
	return err
}

// checkStack refuses layers this host lacks and warns of generations it
// no longer has (the instance starts on the newest, docs/lifecycle.md rule
// 12).
func (s *Service) checkStack(rec Record) ([]string, error) {
	var warnings, missing []string
	for _, l := range rec.Layers {
		newest, err := layout.Newest(filepath.Join(s.cfg.Root.Overlays(), l.ID))
		if err != nil || newest == "" {
			missing = append(missing, l.ID)
			continue
		}
		if l.Generation != "" && l.Generation != newest {
			if _, err := os.Stat(s.cfg.Root.Overlay(l.ID, l.Generation)); err != nil {
				warnings = append(warnings, fmt.Sprintf("layer %s: generation %s is gone (superseded generations are removed after the grace period); the instance starts on %s, the newest: rebuild or upload the layer again if it needs the old files", l.ID, l.Generation, newest))
			}
		}
	}
	if len(missing) > 0 {
		return nil, &instance.FieldError{Field: FieldLayers, Err: &kindErr{instance.ErrNoLayer, fmt.Sprintf("this host has no layer %q: create, upload or add them (left4me overlay create-script|upload, or the Layers page) with the same id, then restore again", missing)}}
	}
	for key, gen := range rec.Pins {
		if !s.pinExists(key, gen) {
			warnings = append(warnings, fmt.Sprintf("%s was pinned to generation %s, which this host does not have: it is not pinned and starts on the default", key, gen))
		}
	}
	newest, _ := layout.Newest(s.cfg.Root.Installations())
	switch {
	case newest == "":
		warnings = append(warnings, "this host has no game installation yet: install it (left4me install, or Installation → Install / update) before starting the instance")
	case rec.Installation != "" && rec.Installation != newest:
		if _, err := os.Stat(s.cfg.Root.Installation(rec.Installation)); err != nil {
			warnings = append(warnings, fmt.Sprintf("installation generation %s is gone; the instance starts on %s, the newest", rec.Installation, newest))
		}
	}
	return warnings, nil
}

// pinExists reports whether the generation a backup's pin names (key
// layout.PinInstallation or a layer id) is on this host.
func (s *Service) pinExists(key, gen string) bool {
	dir := s.cfg.Root.Overlay(key, gen)
	if key == layout.PinInstallation {
		dir = s.cfg.Root.Installation(gen)
	}
	_, err := os.Stat(dir)
	return err == nil
}

// restoreSettings sets what Create does not: the watchdog, the pinned
// generations this host still has, the schedules and the backup retention.
func (s *Service) restoreSettings(ctx context.Context, name string, ownerID int64, rec Record) error {
	if !rec.Watchdog {
		off := false
		if _, err := s.cfg.Instances.Update(ctx, name, instance.Update{Watchdog: &off}); err != nil {
			return err
		}
	}
	pins := map[string]string{}
	for key, gen := range rec.Pins {
		if s.pinExists(key, gen) {
			pins[key] = gen
		}
	}
	if len(pins) > 0 {
		if _, err := s.cfg.Instances.Update(ctx, name, instance.Update{Pin: pins}); err != nil {
			return fmt.Errorf("restore the pinned generations of %s: %w", name, err)
		}
	}
	if s.cfg.Schedules != nil {
		for _, sc := range rec.Schedules {
			sp := schedule.Spec{Action: sc.Action, Command: sc.Command, When: sc.When, Policy: sc.Policy, MaxWait: sc.MaxWait, OnTimeout: sc.OnTimeout}
			if _, err := s.cfg.Schedules.Add(ctx, name, sp, schedule.User{ID: ownerID, MaySeeSecrets: true}); err != nil {
				return fmt.Errorf("restore the schedule %q of %s: %w", sc.Action+" "+sc.When, name, err)
			}
		}
	}
	if rec.Retention != nil {
		if err := s.SetRetention(ctx, name, *rec.Retention); err != nil {
			return err
		}
	}
	return nil
}

// kindErr is a reason that is also one of instance's sentinels, without
// repeating its words.
type kindErr struct {
	kind error
	msg  string
}

func (e *kindErr) Error() string { return e.msg }
func (e *kindErr) Unwrap() error { return e.kind }

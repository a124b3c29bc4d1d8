package content

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/left4me/left4me/internal/archive"
	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/store"
)

// Build runs a script layer's script in the sandbox and publishes what it
// left in its output directory as a new generation of overlays/<id>/. The
// script's output goes to p.Logf and builds/<build-id>/build.log. A failing
// script (non-zero exit, killed at ctx's deadline) publishes nothing.
func (s *Service) Build(ctx context.Context, id string, userID int64, p Progress) (BuildResult, error) {
	if err := ValidateLayerID(id); err != nil {
		return BuildResult{}, err
	}
	if s.cfg.Sandbox == nil {
		return BuildResult{}, errors.New("build: no build sandbox configured")
	}
	l, err := s.st.LayerByID(ctx, id)
	if err != nil {
		return BuildResult{}, err
	}
	if l.Kind != store.LayerScript {
		return BuildResult{}, fmt.Errorf("%w: layer %q is a %s layer; only script layers are built", ErrInvalid, id, l.Kind)
	}
	if err := validateScript(l.Script); err != nil {
		return BuildResult{}, fmt.Errorf("layer %q: %w", id, err)
	}
	now := s.now()
	res := BuildResult{BuildID: NewBuildID("build", now)}
	res.BuildDir = s.root.Build(res.BuildID)
	gen, err := s.record(ctx, store.ContentBuild{ID: res.BuildID, LayerID: id, Kind: store.LayerScript, UserID: userID}, func() (string, error) {
		return s.runScript(ctx, l, res.BuildDir, res.BuildID, now, p)
	})
	if err != nil {
		return res, err
	}
	res.Generation, res.Path = gen, s.root.Overlay(id, gen)
	return res, nil
}

func (s *Service) runScript(ctx context.Context, l store.Layer, dir, buildID string, now time.Time, p Progress) (gen string, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("build %s: %w", l.ID, err)
	}
	p, closeLog := teeLog(filepath.Join(dir, BuildLog), p)
	defer closeLog()
	out := filepath.Join(dir, BuildOutput)
	defer func() {
		if err != nil {
			if rerr := RemoveTree(out); rerr != nil {
				p.Logf("remove %s: %v", out, rerr)
			}
			p.Logf("build failed: %v", err)
		}
	}()
	parent := filepath.Join(s.root.Overlays(), l.ID)
	prev, err := layout.Newest(parent)
	if err != nil {
		return "", err
	}
	if l.Incremental && prev != "" {
		p.Progress(0, "copying generation "+prev)
		st, err := CopyTree(ctx, filepath.Join(parent, prev), out)
		if err != nil {
			return "", fmt.Errorf("build %s: %w", l.ID, err)
		}
		p.Logf("incremental build: starting from generation %s (%d files, %d bytes)", prev, st.Files, st.Bytes)
	} else if err := os.Mkdir(out, 0o755); err != nil {
		return "", fmt.Errorf("build %s: %w", l.ID, err)
	}
	p.Progress(0.05, "running the build script")
	start := time.Now()
	err = s.cfg.Sandbox.Run(ctx, s.root, BuildSpec{
		ID:     buildID,
		Script: []byte(l.Script),
		Env:    map[string]string{"LAYER_ID": l.ID},
	}, func(line string) { p.Logf("%s", line) })
	if err != nil {
		return "", fmt.Errorf("build %s: %w", l.ID, err)
	}
	p.Logf("script finished in %s", time.Since(start).Round(time.Millisecond))
	p.Progress(0.95, "publishing")
	gen, err = PublishLayer(parent, out, now)
	if err != nil {
		return "", err
	}
	p.Progress(1, "published generation "+gen)
	return gen, nil
}

// UploadSpec is one upload into an uploaded layer.
type UploadSpec struct {
	// LayerID is the layer; it is created (kind upload) when missing.
	LayerID string
	// Name and Description are used when the layer is created.
	Name, Description string
	// Path is where the upload lands, inside left4dead2/: the directory an
	// archive is unpacked into, or the file name of a single file.
	Path string
	// Format is archive.FormatAuto (zip, tar, tar.gz by content) or
	// archive.FormatFile for a single file.
	Format archive.Format
	R      io.ReaderAt
	Size   int64
	UserID int64
}

// Upload publishes a new generation of an uploaded layer: the previous
// generation's files plus the upload (whose files replace same-named ones).
// The archive is checked by internal/archive (no traversal, links, special
// files or bombs); a refused upload changes nothing. A missing layer is
// recorded only once its first upload is published, so a refused first
// upload (or a process killed during it) leaves no empty layer behind.
func (s *Service) Upload(ctx context.Context, u UploadSpec, p Progress) (BuildResult, error) {
	if err := ValidateLayerID(u.LayerID); err != nil {
		return BuildResult{}, err
	}
	l, err := s.st.LayerByID(ctx, u.LayerID)
	fresh := errors.Is(err, store.ErrNotFound)
	if fresh {
		if err := s.checkNoDeletedLeftover(u.LayerID); err != nil {
			return BuildResult{}, err
		}
		name := u.Name
		if name == "" {
			name = u.LayerID
		}
		l = store.Layer{ID: u.LayerID, Kind: store.LayerUpload, Name: name, Description: u.Description}
	} else if err != nil {
		return BuildResult{}, err
	}
	if l.Kind != store.LayerUpload {
		return BuildResult{}, fmt.Errorf("%w: layer %q is a %s layer; uploads go into upload layers", ErrInvalid, u.LayerID, l.Kind)
	}
	now := s.now()
	res := BuildResult{BuildID: NewBuildID("upload", now)}
	res.BuildDir = s.root.Build(res.BuildID)
	build := store.ContentBuild{ID: res.BuildID, LayerID: l.ID, Kind: store.LayerUpload, UserID: u.UserID}
	run := func() (string, error) { return s.upload(ctx, l.ID, u, res.BuildDir, now, p) }
	var gen string
	if fresh {
		// The build's row references the layer's, so a first upload is
		// recorded after it was published. A kill between the publish and
		// the record leaves a generation that the next upload of the same
		// id adopts (and the layer list shows meanwhile).
		if gen, err = run(); err != nil {
			return res, err
		}
		if err := s.recordFirstUpload(context.WithoutCancel(ctx), l, build, gen); err != nil {
			return res, err
		}
	} else if gen, err = s.record(ctx, build, run); err != nil {
		return res, err
	}
	res.Generation, res.Path = gen, s.root.Overlay(l.ID, gen)
	return res, nil
}

// recordFirstUpload records the layer that a first upload created and the
// upload's (finished) build.
func (s *Service) recordFirstUpload(ctx context.Context, l store.Layer, b store.ContentBuild, gen string) error {
	if _, err := s.st.CreateLayer(ctx, l); errors.Is(err, store.ErrConflict) {
		// Another first upload of the same id won the race.
		other, err := s.st.LayerByID(ctx, l.ID)
		if err != nil {
			return fmt.Errorf("record layer %q: %w", l.ID, err)
		}
		if other.Kind != store.LayerUpload {
			return fmt.Errorf("%w: layer %q was created meanwhile as a %s layer; generation %s was published into it", ErrInvalid, l.ID, other.Kind, gen)
		}
	} else if err != nil {
		return fmt.Errorf("record layer %q (generation %s is published): %w", l.ID, gen, err)
	}
	if err := s.st.StartContentBuild(ctx, b); err != nil {
		s.log.Error("record build", "build", b.ID, "err", err)
		return nil
	}
	if err := s.st.FinishContentBuild(ctx, b.ID, store.BuildSucceeded, gen, ""); err != nil {
		s.log.Error("record build end", "build", b.ID, "err", err)
	}
	return nil
}

func (s *Service) upload(ctx context.Context, id string, u UploadSpec, dir string, now time.Time, p Progress) (gen string, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("upload: %w", err)
	}
	// Held until everything below is cleaned up: SweepUploads leaves the
	// directory of a live upload alone, and sweeps it once we are killed.
	unlock, err := lockBuildDir(dir)
	if err != nil {
		return "", fmt.Errorf("upload: %w", err)
	}
	defer unlock()
	p, closeLog := teeLog(filepath.Join(dir, BuildLog), p)
	defer closeLog()
	extract := filepath.Join(dir, "upload")
	out := filepath.Join(dir, BuildOutput)
	defer func() {
		RemoveTree(extract)
		if err != nil {
			RemoveTree(out)
			p.Logf("upload refused: %v", err)
		}
	}()
	p.Progress(0, "unpacking the upload")
	ar, err := archive.Extract(ctx, u.R, u.Size, u.Format, extract, u.Path, s.cfg.UploadLimits)
	if err != nil {
		return "", fmt.Errorf("upload into %s: %w", u.Path, err)
	}
	p.Logf("unpacked %s upload: %d files, %d directories, %d bytes into %s", ar.Format, ar.Files, ar.Dirs, ar.Bytes, u.Path)
	parent := filepath.Join(s.root.Overlays(), id)
	prev, err := layout.Newest(parent)
	if err != nil {
		return "", err
	}
	if prev != "" {
		p.Progress(0.3, "copying generation "+prev)
		if _, err := CopyTree(ctx, filepath.Join(parent, prev), out); err != nil {
			return "", fmt.Errorf("upload: %w", err)
		}
	} else if err := os.Mkdir(out, 0o755); err != nil {
		return "", fmt.Errorf("upload: %w", err)
	}
	p.Progress(0.7, "adding the new files")
	if err := mergeInto(extract, out); err != nil {
		return "", fmt.Errorf("upload: %w", err)
	}
	gen, err = PublishLayer(parent, out, now)
	if err != nil {
		return "", err
	}
	p.Progress(1, "published generation "+gen)
	return gen, nil
}

// mergeInto moves every file of src into the same place under dst,
// replacing what is there (a file replaces a directory of the same name and
// the other way round).
func mergeInto(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil || rel == "." {
			return err
		}
		if strings.HasPrefix(rel, "..") {
			return fmt.Errorf("%s escapes the upload", rel)
		}
		target := filepath.Join(dst, rel)
		fi, lerr := os.Lstat(target)
		if d.IsDir() {
			if lerr == nil && fi.IsDir() {
				return nil
			}
			if lerr == nil {
				if err := os.Remove(target); err != nil {
					return err
				}
			}
			return os.Mkdir(target, 0o755)
		}
		if lerr == nil && fi.IsDir() {
			if err := RemoveTree(target); err != nil {
				return err
			}
		}
		return os.Rename(path, target)
	})
}

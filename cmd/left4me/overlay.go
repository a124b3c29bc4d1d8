package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/left4me/left4me/internal/archive"
	"github.com/left4me/left4me/internal/content"
	"github.com/left4me/left4me/internal/store"
	"github.com/left4me/left4me/internal/views"
)

// overlayGC removes superseded generations of the installation and of
// every layer, as install --gc does.
func overlayGC(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	grace := fs.Duration("grace", 0, "keep superseded generations this long (default $"+envGrace+" or 24h)")
	if _, _, err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	cfg, err := env.config()
	if err != nil {
		return err
	}
	return runGC(ctx, env, cfg, *grace)
}

// withContent runs fn with the app and its content service.
func withContent(ctx context.Context, env *cliEnv, fn func(a *app, svc *content.Service) error) error {
	return withApp(ctx, env, func(a *app) error {
		svc, closeSvc := contentService(a)
		defer closeSvc()
		return fn(a, svc)
	})
}

// readScript reads a script from a file or stdin ("-").
func readScript(env *cliEnv, path string) (string, error) {
	if path == "" {
		return "", fmt.Errorf("%w: --script is required", errUsage)
	}
	var r io.Reader = env.stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return "", err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, content.MaxScript+1))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return string(b), nil
}

func overlayList(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	asJSON := fs.Bool("json", false, "print JSON")
	if _, _, err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	return withContent(ctx, env, func(a *app, svc *content.Service) error {
		layers, err := svc.Layers(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			out := []views.Layer{}
			for _, l := range layers {
				out = append(out, views.NewLayer(l))
			}
			return writeJSON(env.stdout, out)
		}
		tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tKIND\tGENERATIONS\tNEWEST\tUSED BY\tNAME")
		for _, l := range layers {
			kind := l.Kind
			if kind == "" {
				kind = "(disk)"
			}
			newest := l.Newest
			if newest == "" {
				newest = "(not built)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\n", l.ID, kind, len(l.Generations), newest, strings.Join(l.UsedBy, ","), l.Name)
		}
		return tw.Flush()
	})
}

func overlayShow(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	asJSON := fs.Bool("json", false, "print JSON")
	tree := fs.Bool("tree", false, "list the files of the newest generation")
	pos, _, err := parseFlags(fs, args, 1)
	if err != nil {
		return err
	}
	return withContent(ctx, env, func(a *app, svc *content.Service) error {
		l, err := svc.Layer(ctx, pos[0])
		if err != nil {
			return err
		}
		var files []content.FileInfo
		if *tree && l.Path != "" {
			files, err = content.Tree(l.Path, 10000)
			if err != nil && !errors.Is(err, content.ErrTruncated) {
				return err
			}
		}
		builds, err := a.store.ListContentBuilds(ctx, l.ID, 10)
		if err != nil {
			return err
		}
		if *asJSON {
			// views.Layer (GET /api/v1/layers/{id} shares it) and what only
			// the host's operator sees: where it is, its builds, its files.
			v := views.NewLayer(l)
			v.Script = l.Script
			if builds == nil {
				builds = []store.ContentBuild{}
			}
			return writeJSON(env.stdout, struct {
				views.Layer
				Path   string               `json:"path,omitempty"`
				Builds []store.ContentBuild `json:"builds"`
				Files  []content.FileInfo   `json:"files,omitempty"`
			}{v, l.Path, builds, files})
		}
		w := env.stdout
		fmt.Fprintf(w, "id:          %s\nkind:        %s\nname:        %s\n", l.ID, l.Kind, l.Name)
		if l.Description != "" {
			fmt.Fprintf(w, "description: %s\n", l.Description)
		}
		fmt.Fprintf(w, "incremental: %v\nused by:     %s\n", l.Incremental, strings.Join(l.UsedBy, ", "))
		fmt.Fprintln(w, "generations:")
		for _, g := range l.Generations {
			fmt.Fprintf(w, "  %s\n", g)
		}
		if len(builds) > 0 {
			fmt.Fprintln(w, "recent builds:")
			for _, b := range builds {
				line := fmt.Sprintf("  %s  %s  %s", b.StartedAt.Format(time.RFC3339), b.ID, b.Status)
				if b.Generation != "" {
					line += "  -> " + b.Generation
				}
				if b.Error != "" {
					line += "  " + b.Error
				}
				fmt.Fprintln(w, line)
			}
		}
		for _, f := range files {
			kind := fmt.Sprintf("%10d", f.Size)
			if f.Dir {
				kind = fmt.Sprintf("%10s", "dir")
			}
			if f.Link != "" {
				kind = fmt.Sprintf("%10s", "link")
			}
			fmt.Fprintf(w, "%s  %s\n", kind, f.Path)
		}
		if l.Script != "" {
			fmt.Fprintf(w, "script:\n%s", l.Script)
			if !strings.HasSuffix(l.Script, "\n") {
				fmt.Fprintln(w)
			}
		}
		return nil
	})
}

func overlayCreateScript(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	scriptPath := fs.String("script", "", "the bash script: a file, or - for stdin (required)")
	name := fs.String("name", "", "display name (default: the id)")
	desc := fs.String("description", "", "what the layer holds")
	incr := fs.Bool("incremental", false, "each build starts from a copy of the newest generation")
	pos, _, err := parseFlags(fs, args, 1)
	if err != nil {
		return err
	}
	script, err := readScript(env, *scriptPath)
	if err != nil {
		return err
	}
	return withContent(ctx, env, func(a *app, svc *content.Service) error {
		l, err := svc.CreateScript(ctx, store.Layer{ID: pos[0], Name: *name, Description: *desc, Script: script, Incremental: *incr})
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "created script layer %s; build it with `left4me overlay build %s`\n", l.ID, l.ID)
		return nil
	})
}

func overlaySetScript(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	scriptPath := fs.String("script", "", "the bash script: a file, or - for stdin (required)")
	pos, _, err := parseFlags(fs, args, 1)
	if err != nil {
		return err
	}
	script, err := readScript(env, *scriptPath)
	if err != nil {
		return err
	}
	return withContent(ctx, env, func(a *app, svc *content.Service) error {
		if _, err := svc.SetScript(ctx, pos[0], script); err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "script of %s saved; the next build uses it\n", pos[0])
		return nil
	})
}

func overlayBuild(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	timeout := fs.Duration("timeout", content.DefaultBuildTimeout, "kill the script after this long")
	pos, _, err := parseFlags(fs, args, 1)
	if err != nil {
		return err
	}
	if *timeout <= 0 {
		return fmt.Errorf("%w: --timeout must be positive", errUsage)
	}
	return withContent(ctx, env, func(a *app, svc *content.Service) error {
		bctx, cancel := context.WithTimeout(ctx, *timeout)
		defer cancel()
		res, err := svc.Build(bctx, pos[0], 0, newCLIProgress(env.stdout, env.stderr))
		if err != nil {
			if res.BuildDir != "" {
				fmt.Fprintf(env.stderr, "log: %s\n", filepath.Join(res.BuildDir, content.BuildLog))
			}
			return err
		}
		fmt.Fprintf(env.stdout, "published %s generation %s\n", pos[0], res.Generation)
		return nil
	})
}

func overlayUpload(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	dest := fs.String("path", "", "where the upload goes, inside left4dead2/ (required)")
	asFile := fs.Bool("as-file", false, "store FILE exactly at --path, without unpacking")
	name := fs.String("name", "", "display name when the layer is created")
	pos, _, err := parseFlags(fs, args, 2)
	if err != nil {
		return err
	}
	if *dest == "" {
		return fmt.Errorf("%w: --path is required", errUsage)
	}
	f, err := os.Open(pos[1])
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s: not a regular file", pos[1])
	}
	spec := content.UploadSpec{LayerID: pos[0], Name: *name, Path: strings.TrimSuffix(*dest, "/"), R: f, Size: fi.Size()}
	switch {
	case *asFile:
		spec.Format = archive.FormatFile
	default:
		if _, err := archive.Detect(f, fi.Size()); errors.Is(err, archive.ErrUnknownFormat) {
			spec.Format = archive.FormatFile
			spec.Path = spec.Path + "/" + filepath.Base(pos[1])
		} else if err != nil {
			return err
		}
	}
	return withContent(ctx, env, func(a *app, svc *content.Service) error {
		res, err := svc.Upload(ctx, spec, newCLIProgress(env.stdout, env.stderr))
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "published %s generation %s\n", pos[0], res.Generation)
		return nil
	})
}

func overlaySeed(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	pos, _, err := parseFlags(fs, args, 1)
	if err != nil {
		return err
	}
	return withContent(ctx, env, func(a *app, svc *content.Service) error {
		res, err := svc.Seed(ctx, pos[0])
		for _, r := range res {
			what := "exists, left as it is"
			if r.Created {
				what = "created"
			}
			fmt.Fprintf(env.stdout, "%-24s %s (%s)\n", r.ID, what, filepath.Base(r.File))
		}
		return err
	})
}

func overlayDelete(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	pos, _, err := parseFlags(fs, args, 1)
	if err != nil {
		return err
	}
	return withContent(ctx, env, func(a *app, svc *content.Service) error {
		if err := svc.Delete(ctx, pos[0]); err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "deleted layer %s\n", pos[0])
		return nil
	})
}

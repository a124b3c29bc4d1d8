package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/left4me/left4me/internal/bytesize"
	"github.com/left4me/left4me/internal/content"
	"github.com/left4me/left4me/internal/jobs"
	"github.com/left4me/left4me/internal/steamcmd"
	"github.com/left4me/left4me/internal/store"
	"github.com/left4me/left4me/internal/views"
	"github.com/left4me/left4me/internal/workshop"
)

// withWorkshop opens the app and builds the workshop service over it.
func withWorkshop(ctx context.Context, env *cliEnv, fn func(a *app, svc *workshop.Service) error) error {
	return withApp(ctx, env, func(a *app) error {
		box := &content.SystemdSandbox{JournalNamespace: a.cfg.JournalNamespace}
		defer box.Close()
		svc := workshop.NewService(workshopConfig(env.stderr, a, box), a.store)
		return fn(a, svc)
	})
}

// workshopConfig is the Workshop service's configuration for the CLI and
// the panel. Items without a usable file_url go to steamcmd through the
// install's runner (left4me-steamcmd@ in box with the systemd sandbox,
// else the host's steamcmd), found or fetched only when such an item
// comes along.
func workshopConfig(stderr io.Writer, a *app, box *content.SystemdSandbox) workshop.Config {
	return workshop.Config{
		Root:   a.cfg.Root,
		API:    workshop.NewClient(a.cfg.Content.steamAPIBase(), nil),
		Logger: a.log,
		SteamCmd: func(ctx context.Context) (steamcmd.Runner, error) {
			return installRunner(ctx, stderr, a, box, "")
		},
	}
}

// wsLayerAndRefs parses "[--queue] LAYER REF..."; queue is nil when the
// command has no --queue flag.
func wsLayerAndRefs(env *cliEnv, args []string, queue *bool) (string, []string, error) {
	fs := newFlags(env)
	if queue != nil {
		fs.BoolVar(queue, "queue", false, "queue a background job instead of running here")
	}
	pos, _, err := parseFlags(fs, args, oneOrMore)
	if err != nil {
		return "", nil, err
	}
	if len(pos) < 2 {
		fs.Usage()
		return "", nil, fmt.Errorf("%w: want a layer and at least one item id or URL", errUsage)
	}
	if err := workshop.ValidateLayerID(pos[0]); err != nil {
		return "", nil, err
	}
	if _, err := workshop.ParseIDs(pos[1:]); err != nil {
		return "", nil, err
	}
	return pos[0], pos[1:], nil
}

// withJobQueue runs fn with the app's job manager, which here only
// enqueues (the panel's workers run the jobs).
func withJobQueue(ctx context.Context, env *cliEnv, fn func(m *jobs.Manager) error) error {
	return withApp(ctx, env, func(a *app) error { return fn(a.jobs) })
}

func workshopAdd(ctx context.Context, env *cliEnv, args []string) error {
	var queue bool
	layer, refs, err := wsLayerAndRefs(env, args, &queue)
	if err != nil {
		return err
	}
	if queue {
		return withJobQueue(ctx, env, func(m *jobs.Manager) error {
			id, err := workshop.EnqueueAdd(ctx, m, layer, refs, 0)
			if err != nil {
				return err
			}
			fmt.Fprintf(env.stdout, "queued job %d (%s)\n", id, workshop.KindDownload)
			return nil
		})
	}
	return withWorkshop(ctx, env, func(a *app, svc *workshop.Service) error {
		res, err := svc.Add(ctx, layer, refs, newCLIProgress(env.stderr, env.stderr))
		if err != nil {
			return err
		}
		if res.LayerCreated {
			fmt.Fprintf(env.stdout, "created workshop layer %s\n", layer)
		}
		for _, c := range res.Resolved.Collections {
			fmt.Fprintf(env.stdout, "expanded collection %d\n", c)
		}
		for _, id := range res.Resolved.Skipped {
			fmt.Fprintf(env.stdout, "skipped item %d: not available on the Workshop\n", id)
		}
		fmt.Fprintf(env.stdout, "added %d item(s) to %s (%d already there)\n", len(res.Added), layer, len(res.Resolved.Items)-len(res.Added))
		failed := wsReportDownloads(env.stdout, res.Downloads)
		wsReportGeneration(env.stdout, layer, res.Generation, res.Published)
		if failed > 0 {
			return fmt.Errorf("%d item(s) could not be downloaded; the layer holds the others", failed)
		}
		return nil
	})
}

func wsReportDownloads(w io.Writer, results []workshop.Result) (failed int) {
	for _, r := range results {
		switch {
		case r.Err != nil:
			failed++
			fmt.Fprintf(w, "item %d: FAILED: %v\n", r.ID, r.Err)
		case r.Cached:
		default:
			fmt.Fprintf(w, "item %d: downloaded revision %s (%s)\n", r.ID, r.Revision, bytesize.Format(r.Size))
		}
	}
	return failed
}

func wsReportGeneration(w io.Writer, layer, gen string, published bool) {
	if published {
		fmt.Fprintf(w, "published %s generation %s\n", layer, gen)
	} else {
		fmt.Fprintf(w, "%s unchanged at generation %s\n", layer, gen)
	}
}

func workshopRemove(ctx context.Context, env *cliEnv, args []string) error {
	layer, refs, err := wsLayerAndRefs(env, args, nil)
	if err != nil {
		return err
	}
	return withWorkshop(ctx, env, func(a *app, svc *workshop.Service) error {
		n, gen, published, err := svc.Remove(ctx, layer, refs)
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("no workshop layer %q", layer)
			}
			return err
		}
		fmt.Fprintf(env.stdout, "removed %d item(s) from %s\n", n, layer)
		wsReportGeneration(env.stdout, layer, gen, published)
		return nil
	})
}

func workshopList(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	asJSON := fs.Bool("json", false, "print JSON")
	if _, _, err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	return withWorkshop(ctx, env, func(a *app, svc *workshop.Service) error {
		layers, err := svc.Layers(ctx)
		if err != nil {
			return err
		}
		out := make([]views.WorkshopLayer, 0, len(layers))
		for _, l := range layers {
			out = append(out, views.NewWorkshopLayer(l, false))
		}
		if *asJSON {
			return writeJSON(env.stdout, out)
		}
		tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "LAYER\tGENERATION\tITEMS\tFLAGGED\tPUBLISHED")
		for _, l := range out {
			pub := "-"
			if !l.PublishedAt.IsZero() {
				pub = l.PublishedAt.Local().Format("2006-01-02 15:04")
			}
			gen := l.Generation
			if gen == "" {
				gen = "-"
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\n", l.ID, gen, len(l.ItemIDs), l.Flagged, pub)
		}
		return tw.Flush()
	})
}

func workshopShow(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, _, err := parseFlags(fs, args, 1)
	if err != nil {
		return err
	}
	return withWorkshop(ctx, env, func(a *app, svc *workshop.Service) error {
		v, err := svc.Layer(ctx, pos[0])
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("no workshop layer %q", pos[0])
		}
		if err != nil {
			return err
		}
		out := views.NewWorkshopLayer(v, true)
		if *asJSON {
			return writeJSON(env.stdout, out)
		}
		gen := out.Generation
		if gen == "" {
			gen = "none yet"
		}
		fmt.Fprintf(env.stdout, "layer %s, generation %s, %d item(s)\n", out.ID, gen, len(out.ItemIDs))
		tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tTITLE\tREVISION\tSIZE\tSTATUS\tMAPS")
		for _, it := range out.Items {
			rev := it.Revision
			if rev == "" {
				rev = "-"
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", it.ID, oneLine(it.Title, 40), rev, bytesize.Format(it.FileSize),
				wsItemStatus(it), oneLine(strings.Join(it.Addon.Maps, ","), 60))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		// The table cuts errors short; the reasons in full, and which
		// items the layer lacks.
		for _, it := range out.Items {
			switch {
			case it.Error != "" && it.Revision == "":
				fmt.Fprintf(env.stdout, "item %d is NOT IN THE LAYER: %s\n", it.ID, oneLine(it.Error, 1000))
			case it.Error != "":
				fmt.Fprintf(env.stdout, "item %d: %s\n", it.ID, oneLine(it.Error, 1000))
			}
		}
		return nil
	})
}

func wsItemStatus(it views.WorkshopItem) string {
	var s []string
	if it.Removed {
		s = append(s, "REMOVED")
	}
	if it.Banned {
		s = append(s, "BANNED")
	}
	if it.Error != "" {
		s = append(s, "ERROR: "+oneLine(it.Error, 80))
	}
	if it.UpdatePending {
		s = append(s, "update pending")
	}
	if len(s) == 0 {
		return "ok"
	}
	return strings.Join(s, "; ")
}

// workshopRefreshJSON is refresh's summary.
type workshopRefreshJSON struct {
	Checked    int               `json:"checked"`
	Downloaded []uint64          `json:"downloaded"`
	Failed     map[string]string `json:"failed"`
	Banned     []uint64          `json:"banned"`
	Removed    []uint64          `json:"removed"`
	Published  map[string]string `json:"published"`
}

func workshopRefresh(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	asJSON := fs.Bool("json", false, "print a JSON summary")
	queue := fs.Bool("queue", false, "queue a background job instead of running here")
	if _, _, err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	if *queue {
		return withJobQueue(ctx, env, func(m *jobs.Manager) error {
			id, dup, err := workshop.EnqueueRefresh(ctx, m, 0)
			if err != nil {
				return err
			}
			if dup {
				fmt.Fprintf(env.stdout, "a refresh is already queued or running: job %d\n", id)
			} else {
				fmt.Fprintf(env.stdout, "queued job %d (%s)\n", id, workshop.KindRefresh)
			}
			return nil
		})
	}
	return withWorkshop(ctx, env, func(a *app, svc *workshop.Service) error {
		res, rerr := svc.Refresh(ctx, newCLIProgress(env.stderr, env.stderr))
		if rerr != nil && res.Published == nil {
			return rerr
		}
		sum := workshopRefreshJSON{Checked: res.Checked, Downloaded: []uint64{}, Failed: map[string]string{},
			Banned: res.Banned, Removed: res.Removed, Published: res.Published}
		for _, r := range res.Downloads {
			if r.Err != nil {
				sum.Failed[strconv.FormatUint(r.ID, 10)] = r.Err.Error()
			} else {
				sum.Downloaded = append(sum.Downloaded, r.ID)
			}
		}
		if sum.Banned == nil {
			sum.Banned = []uint64{}
		}
		if sum.Removed == nil {
			sum.Removed = []uint64{}
		}
		if *asJSON {
			if err := writeJSON(env.stdout, sum); err != nil {
				return err
			}
		} else {
			fmt.Fprintf(env.stdout, "checked %d item(s), downloaded %d\n", sum.Checked, len(sum.Downloaded))
			wsReportDownloads(env.stdout, res.Downloads)
			for _, id := range sum.Banned {
				fmt.Fprintf(env.stdout, "item %d is BANNED on the Workshop\n", id)
			}
			for _, id := range sum.Removed {
				fmt.Fprintf(env.stdout, "item %d is REMOVED from the Workshop (its last download stays in use)\n", id)
			}
			for _, layer := range slices.Sorted(maps.Keys(res.Published)) {
				fmt.Fprintf(env.stdout, "published %s generation %s\n", layer, res.Published[layer])
			}
		}
		if rerr != nil {
			return rerr
		}
		if len(sum.Failed) > 0 {
			return fmt.Errorf("%d item(s) could not be downloaded", len(sum.Failed))
		}
		return nil
	})
}

func workshopGC(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	grace := fs.Duration("grace", content.DefaultGrace, "keep a superseded revision at least this long")
	if _, _, err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	if *grace <= 0 {
		return fmt.Errorf("%w: --grace must be positive", errUsage)
	}
	return withWorkshop(ctx, env, func(a *app, svc *workshop.Service) error {
		removed, err := svc.GC(ctx, *grace)
		for _, p := range removed {
			fmt.Fprintf(env.stdout, "removed %s\n", p)
		}
		if err == nil {
			fmt.Fprintf(env.stdout, "%d old revision(s) removed\n", len(removed))
		}
		return err
	})
}

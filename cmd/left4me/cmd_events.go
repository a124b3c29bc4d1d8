package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/left4me/left4me/internal/events"
	"github.com/left4me/left4me/internal/store"
	"github.com/left4me/left4me/internal/views"
)

// eventsFollowEvery is how often "instance events --follow" asks the
// database for new events. The panel records them (from the servers' UDP
// logs and consoles); the CLI is another process and cannot be told.
const eventsFollowEvery = time.Second

// instanceEvents prints an instance's game events from the database, the
// API's page (GET /api/v1/instances/NAME/events) on the command line:
// oldest first, of the kinds asked, and with --follow the new ones as they
// are recorded. --json prints {"events": [...]} as the API does, or with
// --follow one event per line.
func instanceEvents(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	n := fs.Int("n", 50, "how many past events (at most "+fmt.Sprint(store.EventRetention)+")")
	kind := fs.String("kind", "", "only these kinds, separated by commas: "+strings.Join(events.Kinds(), ", "))
	follow := fs.Bool("follow", false, "keep printing new events as the panel records them")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, _, err := parseFlags(fs, args, 1)
	if err != nil {
		return err
	}
	if *n < 0 || *n > store.EventRetention {
		return fmt.Errorf("%w: -n %d: give a number from 0 to %d", errUsage, *n, store.EventRetention)
	}
	kinds, err := events.ParseKinds(*kind)
	if err != nil {
		return fmt.Errorf("%w: --kind: %w", errUsage, err)
	}
	return withApp(ctx, env, func(a *app) error {
		in, err := a.svc.Get(ctx, pos[0])
		if err != nil {
			return err
		}
		var evs []store.Event
		if *n > 0 {
			if evs, err = a.store.QueryEvents(ctx, in.Name, store.EventQuery{Kinds: kinds, Limit: *n}); err != nil {
				return err
			}
		}
		p := eventPrinter{env: env, json: *asJSON}
		if !*follow {
			if p.json {
				return writeJSON(env.stdout, map[string]any{"events": views.NewEvents(evs)})
			}
			if len(evs) == 0 {
				fmt.Fprintf(env.stdout, "No events of %s yet: the panel (left4me serve) records joins, leaves, chat, map starts and console commands while the server runs.\n", in.Name)
				return nil
			}
		}
		if err := p.print(evs); err != nil {
			return err
		}
		if !*follow {
			return nil
		}
		var after int64
		if len(evs) > 0 {
			after = evs[len(evs)-1].ID
		} else {
			// Only what is recorded from now on.
			last, err := a.store.QueryEvents(ctx, in.Name, store.EventQuery{Limit: 1})
			if err != nil {
				return err
			}
			if len(last) > 0 {
				after = last[0].ID
			}
		}
		fmt.Fprintf(env.stderr, "following the events of %s (Ctrl-C to stop)\n", in.Name)
		t := time.NewTicker(eventsFollowEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
			}
			evs, err := a.store.QueryEvents(ctx, in.Name, store.EventQuery{After: after, Kinds: kinds})
			if err != nil {
				if errors.Is(err, context.Canceled) {
					return nil
				}
				return err
			}
			if len(evs) == 0 {
				continue
			}
			after = evs[len(evs)-1].ID
			if err := p.print(evs); err != nil {
				return err
			}
		}
	})
}

// eventPrinter writes events as a table, or as JSON lines (one event per
// line, for --follow --json).
type eventPrinter struct {
	env  *cliEnv
	json bool
}

func (p eventPrinter) print(evs []store.Event) error {
	vs := views.NewEvents(evs)
	if p.json {
		enc := json.NewEncoder(p.env.stdout)
		for _, v := range vs {
			if err := enc.Encode(v); err != nil {
				return err
			}
		}
		return nil
	}
	// A fixed width, not a tabwriter: --follow prints in batches, and the
	// columns stay aligned across them. "disconnect" is the longest kind.
	for _, v := range vs {
		if _, err := fmt.Fprintf(p.env.stdout, "%s  %-10s  %s\n", v.At.Local().Format("2006-01-02 15:04:05"), v.Kind, v.What()); err != nil {
			return err
		}
	}
	return nil
}

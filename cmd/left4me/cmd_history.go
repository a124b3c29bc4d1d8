package main

import (
	"context"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/left4me/left4me/internal/bytesize"
	"github.com/left4me/left4me/internal/history"
	"github.com/left4me/left4me/internal/views"
)

// instanceHistory prints an instance's history from the database (the
// panel samples it every 30 s; docs/operations.md, "History and metrics"):
// a line per step, or views.History with --json, the API's shape.
func instanceHistory(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	since := fs.String("since", "24h", "how far back: a duration (90m, 24h) or days (7d), at most 31 days")
	step := fs.String("step", "", "time between lines: a duration (30s, 5m, 1h); default about 240 lines")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, _, err := parseFlags(fs, args, 1)
	if err != nil {
		return err
	}
	d, err := history.ParseSince(*since)
	if err != nil {
		return err
	}
	var st time.Duration
	if *step != "" {
		if st, err = time.ParseDuration(*step); err != nil || st <= 0 {
			return fmt.Errorf("%w: --step %q: give a duration such as 30s, 5m or 1h", errUsage, *step)
		}
	}
	rg, err := history.SinceRange(time.Now(), d, st)
	if err != nil {
		return err
	}
	return withApp(ctx, env, func(a *app) error {
		in, err := a.svc.Get(ctx, pos[0])
		if err != nil {
			return err
		}
		ser, err := history.InstanceHistory(ctx, a.store, in.Name, rg)
		if err != nil {
			return err
		}
		out := views.NewHistory(ser)
		if *asJSON {
			return writeJSON(env.stdout, out)
		}
		if len(out.Points) == 0 {
			fmt.Fprintf(env.stdout, "No history of %s in the last %s: the panel (left4me serve) samples every instance every 30 seconds.\n", in.Name, *since)
			return nil
		}
		tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "AT\tSTATE\tHUMANS\tBOTS\tMAP\tCPU\tMEMORY")
		for _, p := range out.Points {
			cpu, mem := "-", "-"
			if p.CPUPercent >= 0 {
				cpu = strconv.FormatFloat(p.CPUPercent, 'f', 1, 64) + "%"
			}
			if p.MemoryBytes >= 0 {
				mem = bytesize.Format(p.MemoryBytes)
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\t%s\n", p.At.Local().Format("2006-01-02 15:04"), p.State, p.Humans, p.Bots,
				orDash(p.Map), cpu, mem)
		}
		return tw.Flush()
	})
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

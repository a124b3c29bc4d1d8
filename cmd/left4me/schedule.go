package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/left4me/left4me/internal/schedule"
	"github.com/left4me/left4me/internal/views"
)

// scheduleLong is the schedule command's help after its one line.
const scheduleLong = `WHEN is "daily HH:MM", "weekly DAY HH:MM" or "cron EXPR" (five fields), in the host's time zone;
--daily, --weekly and --cron are the same. The panel's scheduler runs each time once, as a job
(left4me job list --kind schedule_run). POLICY, for actions that disconnect players: when-empty
(wait until no human plays, up to --max-wait, then --on-timeout run or skip), warn (say so in game
5 min, 1 min and 10 s before) or now. ACTION is restart, stop, start, update (restart only when on
an older generation), rcon, whose command follows the action (after -- when it starts with '-'), or
backup (a scheduled backup; the instance's backup-retention decides how many are kept).`

// schedules is the schedule service of a CLI command: it adds, lists and
// removes; the panel's runs them.
func (a *app) schedules() *schedule.Service {
	return schedule.New(schedule.Config{Store: a.store, Jobs: a.jobs, RCONPolicy: a.cfg.RCONPolicy, Logger: a.log})
}

func scheduleAdd(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	when := fs.String("when", "", `when it runs: "daily 04:00", "weekly sun 04:00" or "cron 0 4 * * 1-5"`)
	daily := fs.String("daily", "", "every day at HH:MM")
	weekly := fs.String("weekly", "", `every week on DAY at HH:MM ("sun 04:00")`)
	cronExpr := fs.String("cron", "", `a cron expression ("0 4 * * 1-5")`)
	policy := fs.String("policy", "", "when-empty, warn or now (default when-empty for restart, stop and update, now otherwise)")
	maxWait := fs.String("max-wait", "", "when-empty: wait at most this long for the server to empty (default 1h)")
	onTimeout := fs.String("on-timeout", "", "when-empty: run (do it anyway, the default) or skip once --max-wait has passed")
	asJSON := fs.Bool("json", false, "print the schedule as JSON")
	pos, rest, err := parseFlags(fs, args, oneOrMore)
	if err != nil {
		return err
	}
	if len(pos) < 2 {
		fs.Usage()
		return fmt.Errorf("%w: want NAME and ACTION", errUsage)
	}
	var whens []string
	for _, w := range []struct{ kind, v string }{{"", *when}, {"daily ", *daily}, {"weekly ", *weekly}, {"cron ", *cronExpr}} {
		if strings.TrimSpace(w.v) != "" {
			whens = append(whens, w.kind+w.v)
		}
	}
	if len(whens) != 1 {
		return fmt.Errorf("%w: give one of --when, --daily, --weekly and --cron", errUsage)
	}
	sp := schedule.Spec{Action: pos[1], Command: strings.Join(append(pos[2:], rest...), " "), When: whens[0],
		Policy: *policy, MaxWait: *maxWait, OnTimeout: *onTimeout}
	return withApp(ctx, env, func(a *app) error {
		svc := a.schedules()
		sc, err := svc.Add(ctx, pos[0], sp, schedule.User{MaySeeSecrets: true})
		if err != nil {
			return err
		}
		v := views.NewSchedule(sc, svc.NextRun(sc), svc.Location())
		if *asJSON {
			return writeJSON(env.stdout, v)
		}
		fmt.Fprintf(env.stdout, "added schedule %d of %s: %s\n", v.ID, v.Instance, describeSchedule(v))
		return nil
	})
}

// describeSchedule is one schedule in words.
func describeSchedule(v views.Schedule) string {
	s := v.Action
	if v.Command != "" {
		s += " " + strconv.Quote(v.Command)
	}
	s += ", " + v.When + " (" + v.TimeZone + "), " + v.Policy
	if v.MaxWait != "" {
		then := "do it anyway"
		if v.OnTimeout == string(schedule.Skip) {
			then = "skip"
		}
		s += " up to " + v.MaxWait + ", then " + then
	}
	if !v.NextRun.IsZero() {
		s += "; next " + v.NextRun.Local().Format("2006-01-02 15:04")
	}
	return s
}

func scheduleList(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	asJSON := fs.Bool("json", false, "print JSON")
	// NAME is optional: flags and at most one word, in any order.
	var pos []string
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			return fmt.Errorf("%w: %w", errUsage, err)
		}
		if fs.NArg() == 0 {
			break
		}
		pos, rest = append(pos, fs.Arg(0)), fs.Args()[1:]
	}
	if len(pos) > 1 {
		return fmt.Errorf("%w: want at most one instance name", errUsage)
	}
	name := ""
	if len(pos) == 1 {
		name = pos[0]
	}
	return withApp(ctx, env, func(a *app) error {
		svc := a.schedules()
		if name != "" {
			if _, err := a.svc.Get(ctx, name); err != nil {
				return err
			}
		}
		list, err := svc.List(ctx, name)
		if err != nil {
			return err
		}
		out := make([]views.Schedule, 0, len(list))
		for _, sc := range list {
			out = append(out, views.NewSchedule(sc, svc.NextRun(sc), svc.Location()))
		}
		if *asJSON {
			return writeJSON(env.stdout, out)
		}
		tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tINSTANCE\tACTION\tWHEN\tPOLICY\tNEXT RUN")
		for _, v := range out {
			act := v.Action
			if v.Command != "" {
				act += " " + strconv.Quote(v.Command)
			}
			pol := v.Policy
			if v.MaxWait != "" {
				pol += " (" + v.MaxWait + ", then " + v.OnTimeout + ")"
			}
			next := "never"
			if !v.NextRun.IsZero() {
				next = v.NextRun.Local().Format("2006-01-02 15:04")
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", v.ID, v.Instance, act, v.When, pol, next)
		}
		return tw.Flush()
	})
}

func scheduleRemove(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	pos, _, err := parseFlags(fs, args, 2)
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(pos[1], 10, 64)
	if err != nil || id <= 0 {
		return fmt.Errorf("%w: schedule id %q: want the number schedule list shows", errUsage, pos[1])
	}
	return withApp(ctx, env, func(a *app) error {
		if _, err := a.svc.Get(ctx, pos[0]); err != nil {
			return err
		}
		if err := a.schedules().Remove(ctx, pos[0], id); err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "removed schedule %d of %s\n", id, pos[0])
		return nil
	})
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/left4me/left4me/internal/jobs"
	"github.com/left4me/left4me/internal/views"
)

func jobList(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	state := fs.String("state", "", "only jobs in this state: queued, running, retrying, succeeded, failed, cancelled")
	kind := fs.String("kind", "", "only jobs of this kind")
	limit := fs.Int("limit", 100, "at most this many jobs, newest first")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, _, err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	f := jobs.Filter{Kind: *kind, Limit: *limit}
	if *state != "" {
		st, err := jobs.ParseState(*state)
		if err != nil {
			return fmt.Errorf("%w: --state: %v", errUsage, err)
		}
		f.State = st
	}
	if *limit < 1 {
		return fmt.Errorf("%w: --limit %d: want at least 1", errUsage, *limit)
	}
	return withApp(ctx, env, func(a *app) error {
		list, err := a.jobs.List(ctx, f)
		if err != nil {
			return err
		}
		users := userNames(ctx, a)
		if *asJSON {
			out := make([]views.Job, 0, len(list))
			for _, j := range list {
				out = append(out, views.NewJob(j, users))
			}
			return writeJSON(env.stdout, out)
		}
		tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tKIND\tSTATE\tPROGRESS\tATTEMPT\tUSER\tCREATED\tMESSAGE")
		for _, j := range list {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d/%d\t%s\t%s\t%s\n", j.ID, j.Kind, stateLabel(j),
				percent(j.Progress), j.Attempt, j.MaxAttempts, users.User(j.UserID),
				j.CreatedAt.Local().Format("2006-01-02 15:04:05"), oneLine(j.Message, 60))
		}
		return tw.Flush()
	})
}

func jobShow(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	asJSON := fs.Bool("json", false, "print JSON (with the log)")
	pos, _, err := parseFlags(fs, args, 1)
	if err != nil {
		return err
	}
	id, err := parseJobID(pos[0])
	if err != nil {
		return err
	}
	return withApp(ctx, env, func(a *app) error {
		j, err := a.jobs.Get(ctx, id)
		if err != nil {
			return err
		}
		users := userNames(ctx, a)
		if *asJSON {
			return writeJSON(env.stdout, views.NewJob(j, users))
		}
		printJob(env.stdout, j, users.User(j.UserID))
		return nil
	})
}

func jobCancel(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	pos, _, err := parseFlags(fs, args, 1)
	if err != nil {
		return err
	}
	id, err := parseJobID(pos[0])
	if err != nil {
		return err
	}
	return withApp(ctx, env, func(a *app) error {
		if err := a.jobs.Cancel(ctx, id); err != nil {
			return err
		}
		j, err := a.jobs.Get(ctx, id)
		switch {
		case err != nil:
			return err
		case j.State == jobs.StateRunning:
			fmt.Fprintf(env.stdout, "job %d: cancel requested; it stops when its handler returns\n", id)
		default:
			fmt.Fprintf(env.stdout, "job %d: %s\n", id, j.State)
		}
		return nil
	})
}

func parseJobID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id < 1 {
		return 0, fmt.Errorf("%w: job id %q: want a positive number", errUsage, s)
	}
	return id, nil
}

// printJob writes a job's record and log for a person.
func printJob(w io.Writer, j jobs.Job, user string) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "%s:\t%s\n", k, v) }
	row("id", strconv.FormatInt(j.ID, 10))
	row("kind", j.Kind)
	row("state", stateLabel(j))
	row("progress", percent(j.Progress))
	if j.Message != "" {
		row("message", oneLine(j.Message, 200))
	}
	row("attempt", fmt.Sprintf("%d of %d", j.Attempt, j.MaxAttempts))
	row("asked by", user)
	row("args", string(j.Args))
	row("created", timeLabel(j.CreatedAt))
	if j.State == jobs.StateQueued || j.State == jobs.StateRetrying {
		row("runs at", timeLabel(j.ScheduledAt))
	}
	row("started", timeLabel(j.StartedAt))
	row("finished", timeLabel(j.FinishedAt))
	tw.Flush()
	if len(j.Errors) > 0 {
		fmt.Fprintln(w, "errors:")
		for _, e := range j.Errors {
			fmt.Fprintf(w, "  attempt %d at %s: %s\n", e.Attempt, timeLabel(e.At), e.Error)
		}
	}
	fmt.Fprintln(w, "log:")
	if j.Log == "" {
		fmt.Fprintln(w, "  (empty)")
		return
	}
	io.WriteString(w, j.Log)
	if !strings.HasSuffix(j.Log, "\n") {
		fmt.Fprintln(w)
	}
}

func stateLabel(j jobs.Job) string {
	if j.CancelRequested {
		return string(j.State) + " (cancel requested)"
	}
	return string(j.State)
}

func percent(f float64) string { return fmt.Sprintf("%3.0f%%", f*100) }

func timeLabel(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05 MST")
}

// oneLine shortens s to one line of at most n runes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// userNames reads the account names for the job listings; without them
// (the store failed) jobs show "#ID" for who asked.
func userNames(ctx context.Context, a *app) views.Names {
	names, err := views.UserNames(ctx, a.store)
	if err != nil && !errors.Is(err, context.Canceled) {
		a.log.Warn("list users", "err", err)
	}
	return names
}

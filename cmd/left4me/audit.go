package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/left4me/left4me/internal/audit"
	"github.com/left4me/left4me/internal/store"
	"github.com/left4me/left4me/internal/views"
)

func runAudit(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	inst := fs.String("instance", "", "only entries about this instance")
	who := fs.String("user", "", "only this actor: a user name, schedule, watchdog or cli:UNIXUSER")
	action := fs.String("action", "", "only this action, or a prefix ending in a dot (instances.)")
	limit := fs.Int("limit", 100, "at most this many entries, newest first")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, _, err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	if *limit < 1 {
		return fmt.Errorf("%w: --limit %d: want at least 1", errUsage, *limit)
	}
	return withApp(ctx, env, func(a *app) error {
		es, err := a.audit.List(ctx, store.AuditFilter{Instance: *inst, Actor: *who, Action: *action, Limit: *limit})
		if err != nil {
			return err
		}
		out := views.NewAuditEntries(es)
		if *asJSON {
			return writeJSON(env.stdout, out)
		}
		tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "AT\tACTOR\tACTION\tTARGET\tRESULT\tFROM\tCHANGED")
		for _, e := range out {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.At.Local().Format("2006-01-02 15:04:05"), e.Actor, e.Action,
				e.Target, oneLine(e.Result, 50), e.Address, oneLine(e.Summary, 80))
		}
		return tw.Flush()
	})
}

// unaudited are the verbs the audit log does not record: they change no
// state, or (serve, demo, exec-server) they run a process whose own actions
// are recorded where they happen. Every other verb is recorded once per
// run (TestEveryVerbIsAuditedOrReadOnly).
var unaudited = map[string]bool{
	"left4me demo": true, "left4me serve": true, "left4me exec-server": true, "left4me doctor": true,
	"left4me help": true, "left4me completion bash": true, "left4me audit": true,
	"left4me user list": true, "left4me instance list": true, "left4me instance show": true,
	"left4me instance logs": true, "left4me instance layers": true, "left4me instance history": true,
	"left4me job list": true, "left4me job show": true,
	"left4me overlay list": true, "left4me overlay show": true,
	"left4me workshop list": true, "left4me workshop show": true,
	"left4me webhook list": true, "left4me webhook deliveries": true,
}

// readOnlyCall reports the runs of recorded verbs that only read: install
// --list and instance cfg without --set.
func readOnlyCall(path string, set map[string]string) bool {
	switch path {
	case "left4me install":
		_, list := set["list"]
		return list
	case "left4me instance cfg":
		_, write := set["set"]
		return !write
	}
	return false
}

// cliActionGroups name the CLI's groups as the panel's actions do
// ("instance start" is instances.start, as POST /instances/{name}/start).
var cliActionGroups = map[string]string{"instance": "instances", "user": "users", "webhook": "webhooks",
	"job": "jobs", "overlay": "layers", "schedule": "schedules"}

// cliActionRenames give verbs the panel's name for the same action.
var cliActionRenames = map[string]string{"instances.cfg": "instances.cfg.set", "webhooks.add": "webhooks.create",
	"instances.backup-delete": "instances.backups.delete"}

// lifecycleVerbs take several instance names: one entry each.
var lifecycleVerbs = []string{"start", "stop", "restart", "reset"}

// recordCLI writes the audit entry of a CLI verb that changes state, as
// cli:UNIXUSER. A run refused as bad usage did nothing and is not
// recorded; nor is anything when the database does not exist yet.
func recordCLI(ctx context.Context, env *cliEnv, c *Command, args []string, result error) {
	if unaudited[c.Path()] || c.RawArgs || errors.Is(result, errUsage) || errors.Is(result, flag.ErrHelp) {
		return
	}
	fs, err := c.flags()
	if err != nil || fs == nil {
		return
	}
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	var pos []string
	rest := args
	for i, a := range args {
		if a == "--" {
			rest = args[:i]
			break
		}
	}
	for {
		if fs.Parse(rest) != nil {
			return
		}
		if rest = fs.Args(); len(rest) == 0 {
			break
		}
		pos, rest = append(pos, rest[0]), rest[1:]
	}
	set := map[string]string{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = f.Value.String() })
	if readOnlyCall(c.Path(), set) {
		return
	}
	cfg, err := env.config()
	if err != nil {
		return
	}
	if _, err := os.Stat(cfg.DatabasePath); err != nil {
		return
	}
	st, err := store.Open(ctx, cfg.DatabasePath)
	if err != nil {
		return
	}
	defer st.Close()
	log := audit.New(st, audit.Config{Retention: cfg.AuditRetention})

	words := strings.Fields(c.Path())[1:]
	if g, ok := cliActionGroups[words[0]]; ok && len(words) > 1 {
		words[0] = g
	}
	action := strings.Join(words, ".")
	if rename, ok := cliActionRenames[action]; ok {
		action = rename
	}
	fields := map[string][]string{}
	for k, v := range set {
		fields[k] = []string{v}
	}
	var targets []string
	switch {
	case c.Path() == "left4me instance rcon" && len(pos) > 0:
		targets = pos[:1]
		cmd, _ := cfg.RCONPolicy.ForHistory(strings.Join(pos[1:], " "), "")
		fields["command"] = []string{cmd}
	case len(words) == 2 && words[0] == "instances" && slices.Contains(lifecycleVerbs, words[1]):
		targets = pos
	case len(pos) > 0:
		targets = pos[:1]
		if len(pos) > 1 {
			fields["args"] = pos[1:]
		}
	default:
		targets = []string{""}
	}
	actor := "cli:" + unixUser()
	for _, t := range targets {
		if strings.Contains(t, "://") {
			// A webhook's address: its path is often its credential.
			t = audit.Summary(map[string][]string{"url": {t}})[len("url="):]
		} else if words[0] == "instances" && t != "" {
			t = "instance:" + t
		}
		log.Record(ctx, actor, action, t, audit.Summary(fields), result)
	}
}

// unixUser names who runs the CLI.
func unixUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return strconv.Itoa(os.Getuid())
}

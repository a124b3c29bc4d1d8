package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/views"
)

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// readInput reads a file, or stdin for "-".
func readInput(env *cliEnv, path string) (string, error) {
	var r io.Reader
	if path == "-" {
		r = env.stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			return "", err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, instance.MaxServerCfg+1))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return string(b), nil
}

func instanceCreate(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	owner := fs.String("owner", "", "the user who owns the instance (required)")
	portText := fs.String("port", "", "game port (UDP) and RCON port (TCP); empty, 0 or auto picks a free one from the range")
	var layers stringList
	fs.Var(&layers, "layer", "a content layer id, uppermost first; repeat for more")
	cfgPath := fs.String("cfg", "", "server.cfg to use: a file, or - for stdin")
	tmpl := fs.String("from-template", "", "a template (left4me template list) whose layers, srcds arguments, server.cfg and files the instance starts with")
	var autostart optionalBool
	fs.Var(&autostart, "autostart", "start it again after a reboot when it was running (default true; --autostart=false turns it off)")
	pos, srcdsArgs, err := parseFlags(fs, args, 1)
	if err != nil {
		return err
	}
	if *owner == "" {
		fs.Usage()
		return fmt.Errorf("%w: --owner is required", errUsage)
	}
	// The name first: it is the argument most often wrong, and a bad one
	// must not be hidden behind another error (nor open the database).
	if err := instance.ValidateName(pos[0]); err != nil {
		return err
	}
	// Read as the panel's form reads it, so "27O15" is refused in the
	// same words.
	port, err := instance.ParsePort(*portText)
	if err != nil {
		return err
	}
	var cfgText string
	if *cfgPath != "" {
		if cfgText, err = readInput(env, *cfgPath); err != nil {
			return err
		}
	}
	return withApp(ctx, env, func(a *app) error {
		u, err := a.store.UserByName(ctx, *owner)
		if err != nil {
			return &instance.FieldError{Field: instance.FieldOwner, Err: userErr(*owner, err)}
		}
		in, err := a.svc.Create(ctx, instance.Spec{
			Name: pos[0], OwnerID: u.ID, Port: port,
			Layers: layers, Args: srcdsArgs, ServerCfg: cfgText, Autostart: autostart.v, Template: *tmpl,
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "created instance %s on port %d\n", in.Name, in.Port)
		return nil
	})
}

func instanceUpdate(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	portText := fs.String("port", "", "new port")
	var layers stringList
	fs.Var(&layers, "layer", "replace the layers with these, uppermost first; repeat for more")
	noLayers := fs.Bool("no-layers", false, "remove every layer")
	noArgs := fs.Bool("no-args", false, "remove every extra srcds argument")
	watchdogText := fs.String("watchdog", "", "on or off: restart the server when it is frozen (applies at once)")
	var autostart optionalBool
	fs.Var(&autostart, "autostart", "start it again after a reboot when it was running: true or false")
	var pins, unpins stringList
	fs.Var(&pins, "pin", "installation=GEN or LAYER=GEN: start on that generation until unpinned (from its next start); repeat for more")
	fs.Var(&unpins, "unpin", "installation, LAYER or all: remove a pin; repeat for more")
	hasDash := false
	for _, a := range args {
		if a == "--" {
			hasDash = true
		}
	}
	pos, srcdsArgs, err := parseFlags(fs, args, 1)
	if err != nil {
		return err
	}
	u := instance.Update{Autostart: autostart.v, Unpin: unpins}
	if len(pins) > 0 {
		if u.Pin, err = instance.ParsePins(strings.Join(pins, " ")); err != nil {
			return err
		}
	}
	if *watchdogText != "" {
		on, err := instance.ParseWatchdog(*watchdogText)
		if err != nil {
			return err
		}
		u.Watchdog = &on
	}
	port, err := instance.ParsePort(*portText)
	if err != nil {
		return err
	}
	if port != 0 {
		u.Port = &port
	}
	switch {
	case *noLayers && len(layers) > 0:
		return fmt.Errorf("%w: --no-layers and --layer contradict each other", errUsage)
	case *noLayers:
		u.Layers = &[]string{}
	case len(layers) > 0:
		l := []string(layers)
		u.Layers = &l
	}
	switch {
	case *noArgs && hasDash && len(srcdsArgs) > 0:
		return fmt.Errorf("%w: --no-args and arguments after -- contradict each other", errUsage)
	case *noArgs:
		u.Args = &[]string{}
	case hasDash:
		u.Args = &srcdsArgs
	}
	return withApp(ctx, env, func(a *app) error {
		in, err := a.svc.Update(ctx, pos[0], u)
		if err != nil {
			return err
		}
		if u.Watchdog == nil || u.Port != nil || u.Layers != nil || u.Args != nil {
			fmt.Fprintf(env.stdout, "updated instance %s (takes effect at its next start)\n", in.Name)
		}
		if u.Pin != nil || u.Unpin != nil {
			printPins(env, in)
		}
		if u.Watchdog != nil {
			fmt.Fprintf(env.stdout, "watchdog of %s: %s\n", in.Name, instance.WatchdogText(in.Watchdog))
		}
		if st, err := a.sup.Status(ctx, in.Name); err == nil {
			if p := in.PendingPort(st.State == instance.Running || st.State == instance.Starting); p != 0 {
				fmt.Fprintf(env.stdout, "its server runs on port %d until then; port %d applies when it next starts\n", in.ServerPort(), p)
			}
		}
		return nil
	})
}

// describe builds the view of in (views.Instance, the shape GET
// /api/v1/instances/{name} shares) with its state.
func describe(ctx context.Context, a *app, in instance.Instance, owners views.Names, secret bool) views.Instance {
	st, err := a.sup.Status(ctx, in.Name)
	if err != nil && a.sd != nil {
		// No panel answered on the state root's socket (else the CLI would
		// have asked it) and systemd did not answer either: say where the
		// servers' states can come from.
		err = fmt.Errorf("%w; no panel answers for the state root %s either (%s): start it (left4me serve, or left4me demo --dir %s for a demo's directory) and run this command again", err, a.cfg.Root, a.cfg.Root.PanelSocket(), a.cfg.Root)
	}
	v := views.NewInstance(in, owners, st, err, secret)
	v.SetConnect(a.publicHost)
	return v
}

func instanceList(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	asJSON := fs.Bool("json", false, "print JSON")
	names := fs.Bool("names", false, "print only the names, one a line (for shell completion)")
	if _, _, err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	emit := func(out []views.Instance) error {
		if *names {
			for _, j := range out {
				fmt.Fprintln(env.stdout, j.Name)
			}
			return nil
		}
		if *asJSON {
			return writeJSON(env.stdout, out)
		}
		tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tOWNER\tPORT\tSTATE\tSINCE\tLAYERS")
		for _, j := range out {
			state := string(j.State)
			if j.Unhealthy {
				state += " (unhealthy)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\n", j.Name, j.Owner, j.Port, state, sinceText(j.Since), strings.Join(j.Layers, ","))
		}
		return tw.Flush()
	}
	if p, err := env.panel(ctx); err != nil {
		return err
	} else if p != nil {
		out, err := p.Instances(ctx)
		if err != nil {
			return err
		}
		for i := range out {
			out[i].RCONPassword, out[i].Live = "", nil
		}
		return emit(out)
	}
	return withApp(ctx, env, func(a *app) error {
		list, err := a.svc.List(ctx)
		if err != nil {
			return err
		}
		out := []views.Instance{}
		if *names {
			for _, in := range list {
				out = append(out, views.Instance{Name: in.Name})
			}
			return emit(out)
		}
		owners, err := views.UserNames(ctx, a.store)
		if err != nil {
			return err
		}
		for _, in := range list {
			out = append(out, describe(ctx, a, in, owners, false))
		}
		return emit(out)
	})
}

func sinceText(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format(time.DateTime)
}

func instanceShow(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	asJSON := fs.Bool("json", false, "print JSON")
	secret := fs.Bool("show-secret", false, "include the RCON password")
	pos, _, err := parseFlags(fs, args, 1)
	if err != nil {
		return err
	}
	if p, err := env.panel(ctx); err != nil {
		return err
	} else if p != nil {
		j, err := p.Instance(ctx, pos[0])
		if err != nil {
			return err
		}
		if !*secret {
			j.RCONPassword = ""
		}
		return printInstance(env, j, *asJSON, *secret)
	}
	return withApp(ctx, env, func(a *app) error {
		in, err := a.svc.Get(ctx, pos[0])
		if err != nil {
			return err
		}
		owners, err := views.UserNames(ctx, a.store)
		if err != nil {
			return err
		}
		j := describe(ctx, a, in, owners, *secret)
		j.AddLastLines(ctx, a.logs)
		if j.State == instance.Running {
			j.Live = askLive(ctx, in)
		}
		return printInstance(env, j, *asJSON, *secret)
	})
}

// printInstance prints the view of instance show: JSON, or one field a
// line and the last console lines of a failed instance.
func printInstance(env *cliEnv, j views.Instance, asJSON, secret bool) error {
	if asJSON {
		return writeJSON(env.stdout, j)
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "name:\t%s\n", j.Name)
	fmt.Fprintf(tw, "owner:\t%s\n", j.Owner)
	fmt.Fprintf(tw, "port:\t%d\n", j.Port)
	if j.PendingPort != 0 {
		fmt.Fprintf(tw, "pending port:\t%d (at the next start)\n", j.PendingPort)
	}
	if j.Connect != "" {
		fmt.Fprintf(tw, "connect:\tconnect %s    (%s)\n", j.Connect, j.SteamConnect)
	}
	fmt.Fprintf(tw, "state:\t%s since %s\n", j.State, sinceText(j.Since))
	if j.StateError != "" {
		fmt.Fprintf(tw, "state error:\t%s\n", j.StateError)
	}
	if j.Live != nil {
		fmt.Fprintf(tw, "players:\t%s\n", playersText(j.Live))
	}
	fmt.Fprintf(tw, "autostart:\t%s\n", autostartText(j.Autostart, j.WantRunning))
	fmt.Fprintf(tw, "watchdog:\t%s\n", instance.WatchdogText(j.Watchdog))
	if j.Unhealthy {
		fmt.Fprintf(tw, "unhealthy:\tsince %s: %s\n", sinceText(j.UnhealthySince), j.UnhealthyReason)
	}
	fmt.Fprintf(tw, "layers:\t%s\n", strings.Join(j.Layers, " "))
	fmt.Fprintf(tw, "args:\t%s\n", strings.Join(quoteArgs(j.Args), " "))
	if len(j.Pins) > 0 {
		fmt.Fprintf(tw, "pinned:\t%s\n", instance.FormatPins(j.Pins))
	}
	if secret {
		fmt.Fprintf(tw, "rcon password:\t%s\n", j.RCONPassword)
	}
	fmt.Fprintf(tw, "created:\t%s\n", j.CreatedAt.Local().Format(time.DateTime))
	fmt.Fprintf(tw, "updated:\t%s\n", j.UpdatedAt.Local().Format(time.DateTime))
	if err := tw.Flush(); err != nil {
		return err
	}
	printLastLines(env.stdout, j)
	return nil
}

func quoteArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\"'\\") {
			a = strconv.Quote(a)
		}
		out[i] = a
	}
	return out
}

// errChildSupervisor refuses starting servers from a one-shot command whose
// exit would stop them again.
var errChildSupervisor = errors.New("with LEFT4ME_SUPERVISOR=process servers are children of `left4me serve` or `left4me demo` and stop with them, and no panel runs for this state root: start that panel, then run this command again (it then goes through the panel)")

func instanceLifecycle(ctx context.Context, env *cliEnv, action instance.Action, args []string) error {
	fs := newFlags(env)
	pos, _, err := parseFlags(fs, args, oneOrMore)
	if err != nil {
		return err
	}
	if p, err := env.panel(ctx); err != nil {
		return err
	} else if p.ownsServers() {
		// The panel's process supervisor runs the servers as its
		// children: it acts for the CLI.
		return runLifecycle(ctx, env, action, pos, func(ctx context.Context, name string) error { return p.Do(ctx, action, name) })
	}
	return withApp(ctx, env, func(a *app) error {
		if a.proc != nil && action != instance.Stop {
			return errChildSupervisor
		}
		return runLifecycle(ctx, env, action, pos, func(ctx context.Context, name string) error { return a.svc.Do(ctx, action, name) })
	})
}

// runLifecycle runs op (action) on every instance of pos and says so.
func runLifecycle(ctx context.Context, env *cliEnv, action instance.Action, pos []string, op func(ctx context.Context, name string) error) error {
	past := action.Past()
	if len(pos) == 1 {
		if err := op(ctx, pos[0]); err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "%s %s\n", past, pos[0])
		return nil
	}
	// Several instances: instance.ParallelOps at a time over this one
	// connection to systemd, rather than one process each.
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	sem := make(chan struct{}, instance.ParallelOps)
	for _, name := range pos {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			err := op(ctx, name)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			fmt.Fprintf(env.stdout, "%s %s\n", past, name)
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		return fmt.Errorf("%d of %d failed: %w", len(errs), len(pos), errors.Join(errs...))
	}
	return nil
}

func instanceDelete(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	yes := fs.Bool("yes", false, "do not ask for confirmation")
	pos, _, err := parseFlags(fs, args, 1)
	if err != nil {
		return err
	}
	name := pos[0]
	if !*yes {
		if _, tty := terminalFd(env.stdin); !tty {
			return fmt.Errorf("%w: deleting %s removes its files and settings: pass --yes", errUsage, name)
		}
		fmt.Fprintf(env.stderr, "Delete instance %s with its files and settings? Type its name to confirm: ", name)
		answer, err := bufio.NewReader(env.stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		if strings.TrimSpace(answer) != name {
			return errors.New("not confirmed; nothing deleted")
		}
	}
	return withApp(ctx, env, func(a *app) error {
		if err := a.svc.Delete(ctx, name); err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "deleted %s\n", name)
		return nil
	})
}

func instanceCfg(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	set := fs.String("set", "", "replace server.cfg with this file, or - for stdin")
	pos, _, err := parseFlags(fs, args, 1)
	if err != nil {
		return err
	}
	env.readOnly = *set == ""
	var text string
	if *set != "" {
		if text, err = readInput(env, *set); err != nil {
			return err
		}
	}
	return withApp(ctx, env, func(a *app) error {
		if *set == "" {
			cfg, err := a.svc.ServerCfg(ctx, pos[0])
			if err != nil {
				return err
			}
			_, err = io.WriteString(env.stdout, cfg)
			return err
		}
		if err := a.svc.SetServerCfg(ctx, pos[0], text); err != nil {
			return err
		}
		fmt.Fprintf(env.stderr, "server.cfg of %s replaced; it is staged at the next start\n", pos[0])
		for _, w := range instance.CfgWarnings(text) {
			fmt.Fprintf(env.stderr, "warning: %s\n", w)
		}
		return nil
	})
}

func instanceLogs(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	n := fs.Int("n", 100, "how many past lines")
	follow := fs.Bool("follow", false, "keep printing new lines")
	pos, _, err := parseFlags(fs, args, 1)
	if err != nil {
		return err
	}
	if *n < 0 {
		return fmt.Errorf("%w: -n %d: must not be negative", errUsage, *n)
	}
	if p, err := env.panel(ctx); err != nil {
		return err
	} else if p != nil {
		emitLine := func(l string) { fmt.Fprintln(env.stdout, l) }
		if *follow {
			return p.Follow(ctx, pos[0], *n, emitLine)
		}
		lines, err := p.Tail(ctx, pos[0], *n)
		if err != nil {
			return err
		}
		for _, l := range lines {
			emitLine(l)
		}
		return nil
	}
	return withApp(ctx, env, func(a *app) error {
		if _, err := a.svc.Get(ctx, pos[0]); err != nil {
			return err
		}
		lines, err := a.logs.Tail(ctx, pos[0], *n)
		if err != nil {
			return err
		}
		for _, l := range lines {
			fmt.Fprintln(env.stdout, l)
		}
		if !*follow {
			return nil
		}
		err = a.logs.Follow(ctx, pos[0], func(l string) { fmt.Fprintln(env.stdout, l) })
		if errors.Is(err, context.Canceled) {
			return nil
		}
		return err
	})
}

func instanceLayers(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	if _, _, err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	return withApp(ctx, env, func(a *app) error {
		layers, err := a.svc.Layers(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "LAYER\tGENERATION\tPATH")
		for _, l := range layers {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", l.ID, l.Generation, l.Path)
		}
		return tw.Flush()
	})
}

func instanceAutostart(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	if _, _, err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	return withApp(ctx, env, func(a *app) error {
		if a.proc != nil {
			return errChildSupervisor
		}
		return a.svc.Autostart(ctx)
	})
}

// autostartText says what a reboot does to an instance: its setting, and
// whether it was running.
func autostartText(on, running bool) string {
	switch {
	case !on:
		return "off (stays stopped after a reboot)"
	case running:
		return "on (starts again after a reboot)"
	}
	return "on (starts again after a reboot when it was running; it is stopped now)"
}

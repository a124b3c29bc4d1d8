package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/notify"
)

//go:generate go test -run TestREADMECommands -update-readme .

// Command is one entry of the command table: a group, whose Commands are
// its verbs, or a verb, which Runs. It has the shape of the go tool's
// base.Command. A new verb is one entry in commandTable with its usage and
// one-line help; TestEveryCommandHasHelp fails without them and
// TestREADMECommands until the README lists it (go generate ./cmd/left4me).
type Command struct {
	// UsageLine is the name followed by the arguments, as the usage shows
	// them: "create NAME --owner USER [--port N]". A group's is its name.
	UsageLine string
	// Short is the one-line help, shown in every list of commands.
	Short string
	// Long, optional, follows Short in `left4me help COMMAND`.
	Long string
	// Run runs a verb with the arguments after its name. It declares its
	// flags on newFlags(env) and parses them with parseFlags before it does
	// anything else: flags and arguments come in any order, "--" ends the
	// flags. The help and the completion read those flags (Command.flags).
	Run func(ctx context.Context, env *cliEnv, args []string) error
	// RawArgs hands the arguments to Run as they are: the dispatcher looks
	// for --help only as the first one, and the verb has no flags.
	RawArgs bool
	// ReadOnly marks a verb that only reads: against a missing state root
	// or database it says so and exits 1, creating nothing (requireState).
	ReadOnly bool
	// Args is what the shell completes the positional arguments to.
	Args argKind
	// Commands are a group's verbs.
	Commands []*Command

	parent *Command
}

// argKind names what a verb's positional arguments are, for completion.
type argKind int

const (
	argsNone      argKind = iota
	argsInstances         // instance names (`left4me instance list --names`)
)

// Name is the command's name: the first word of UsageLine.
func (c *Command) Name() string {
	name, _, _ := strings.Cut(c.UsageLine, " ")
	return name
}

// Path is the command as typed: "left4me instance create".
func (c *Command) Path() string {
	if c.parent == nil {
		return c.Name()
	}
	return c.parent.Path() + " " + c.Name()
}

// Usage is the full usage line: "left4me instance create NAME --owner USER".
func (c *Command) Usage() string {
	switch {
	case c.parent == nil:
		return c.Name() + " COMMAND [ARGS]"
	case len(c.Commands) > 0:
		return c.Path() + " VERB [ARGS]"
	}
	return c.parent.Path() + " " + c.UsageLine
}

// Lookup returns the verb or group of c named name, or nil.
func (c *Command) Lookup(name string) *Command {
	for _, sub := range c.Commands {
		if sub.Name() == name {
			return sub
		}
	}
	return nil
}

// link sets the parent of every command below c.
func (c *Command) link() *Command {
	for _, sub := range c.Commands {
		sub.parent = c
		sub.link()
	}
	return c
}

// walk calls fn for c and every command below it, in table order.
func (c *Command) walk(fn func(*Command)) {
	fn(c)
	for _, sub := range c.Commands {
		sub.walk(fn)
	}
}

// flags returns the flags verb c declares (nil for a group or a RawArgs
// verb). It asks c's Run for -h, with an empty environment and a cancelled
// context, and keeps the FlagSet Run made with newFlags: Run parses its
// flags before doing anything, so nothing else runs (TestEveryCommandHasHelp
// asks every verb).
func (c *Command) flags() (*flag.FlagSet, error) {
	if c.Run == nil || c.RawArgs {
		return nil, nil
	}
	var fs *flag.FlagSet
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	env := &cliEnv{
		stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard,
		getenv: func(string) string { return "" }, cmd: c, declared: &fs,
	}
	err := c.Run(ctx, env, []string{"-h"})
	if fs == nil || !errors.Is(err, flag.ErrHelp) {
		return nil, fmt.Errorf("%s: its Run must declare its flags with newFlags and stop at parsing them for -h (it returned %v)", c.Path(), err)
	}
	return fs, nil
}

// commandTable is every command of left4me. It is built per run: the help
// and completion verbs read the table they are part of.
func commandTable() *Command {
	root := &Command{UsageLine: "left4me", Short: "the panel and the command line of left4me"}
	lifecycle := func(action instance.Action, short string) *Command {
		return &Command{
			UsageLine: action.String() + " NAME...", Short: short, Args: argsInstances,
			Run: func(ctx context.Context, env *cliEnv, args []string) error {
				return instanceLifecycle(ctx, env, action, args)
			},
		}
	}
	root.Commands = []*Command{
		{UsageLine: "demo [--dir DIR] [--listen ADDR] [-v]", Short: "run a self-contained demo panel with stand-in servers", Long: demoLong, Run: runDemo},
		{UsageLine: "serve [--listen ADDR]", Short: "serve the web panel and JSON API", Run: runServe},
		{UsageLine: "migrate", Short: "create the state root's database, or bring it to the newest schema (the Debian package's postinst runs it)", Run: runMigrate},
		{UsageLine: "user", Short: "manage accounts", Commands: []*Command{
			{UsageLine: "create NAME [--admin]", Short: "create an account; the password comes from LEFT4ME_ADMIN_PASSWORD, the terminal, or a line on stdin", Run: userCreate},
			{UsageLine: "passwd NAME [--revoke-tokens=false]", Short: "set an account's password (read as for create), end its sessions and revoke its API tokens (unless --revoke-tokens=false)", Run: userPasswd},
			{UsageLine: "update NAME [--max-instances N|unlimited|default] [--max-running N|unlimited|default] [--may-create on|off]", Short: "set an account's limits: how many instances it may own and run at once (default: administrators none, others " + strconv.Itoa(instance.DefaultMaxInstances) + " and " + strconv.Itoa(instance.DefaultMaxRunning) + "), and whether it may create instances in the panel (new accounts may not; administrators always may)", Run: userUpdate},
			{UsageLine: "delete NAME", Short: "delete an account that owns no instances", Run: userDelete},
			{ReadOnly: true, UsageLine: "list [--json]", Short: "list the accounts with their limits", Run: userList},
		}},
		{UsageLine: "instance", Short: "manage game-server instances", Commands: []*Command{
			{UsageLine: "create NAME --owner USER [--port N] [--layer ID]... [--cfg FILE|-] [--from-template T] [--autostart=false] [-- SRCDS-ARGS...]", Short: "create an instance; the arguments after -- go to srcds; a template fills the layers, arguments and server.cfg not given", Run: instanceCreate},
			{UsageLine: "update NAME [--port N] [--layer ID]... [--no-layers] [--no-args] [--watchdog on|off] [--autostart=true|false] [--pin installation=GEN|LAYER=GEN]... [--unpin installation|LAYER|all]... [-- SRCDS-ARGS...]", Short: "change an instance's port, layers, srcds arguments or pinned generations (from its next start), its watchdog or its autostart setting (at once)", Args: argsInstances, Run: instanceUpdate},
			{ReadOnly: true, UsageLine: "list [--json] [--names]", Short: "list the instances with their state", Run: instanceList},
			{ReadOnly: true, UsageLine: "show NAME [--json] [--show-secret]", Short: "show an instance, its players and, when it failed, its last console lines", Args: argsInstances, Run: instanceShow},
			lifecycle(instance.Start, "start instances (several: "+strconv.Itoa(instance.ParallelOps)+" at a time)"),
			lifecycle(instance.Stop, "stop instances (several: "+strconv.Itoa(instance.ParallelOps)+" at a time)"),
			lifecycle(instance.Restart, "restart instances (several: "+strconv.Itoa(instance.ParallelOps)+" at a time)"),
			lifecycle(instance.Reset, "stop instances, discard everything their servers wrote, and start the running ones again"),
			{UsageLine: "restart-stale [--parallel N] [--max-wait DURATION] [--on-timeout run|skip]", Short: "queue the rolling restart for the panel: the running instances on an older generation of the game or of a layer, each restarted when nobody plays on it, at most N at once", Run: instanceRestartStale},
			{UsageLine: "delete NAME [--yes]", Short: "delete an instance with its files and settings", Args: argsInstances, Run: instanceDelete},
			{ReadOnly: true, UsageLine: "cfg NAME [--set FILE|-]", Short: "print an instance's server.cfg, or replace it", Args: argsInstances, Run: instanceCfg},
			{UsageLine: "rcon NAME COMMAND...", Short: "send a console command to a running instance and print the reply (as the panel's console: one line, secrets kept out of the history)", Args: argsInstances, Run: instanceRCON,
				Long: "The words after NAME are the command; put them after -- when one starts with '-' (rcon vs1 -- sv_gravity -800).\nThe CLI sends as the system: the history shows no user."},
			{ReadOnly: true, UsageLine: "maps NAME [--json]", Short: "list the maps an instance can change to: the official campaigns and those of its layers' VPKs (with the layer), and the modes each plays", Args: argsInstances, Run: instanceMaps},
			{UsageLine: "map NAME MAP [--mode M] [--next-start] [--json]", Short: "change an instance's map now (changelevel over RCON; only maps its stack has) or for its next start (+map, +mp_gamemode)", Args: argsInstances, Run: instanceMap},
			{UsageLine: "share NAME USER --role viewer|operator|admin [--json]", Short: "share an instance with an account in a role, or change its role (viewer: sees it; operator: also starts, stops, restarts, changes the map, kicks and says; admin: also configures, uses the RCON console and shares)", Args: argsInstances, Run: instanceShare},
			{UsageLine: "kick NAME PLAYER [--reason TEXT]", Short: "kick a player (userid or SteamID) from a running instance, with a reason shown to the player", Args: argsInstances, Run: instanceKick},
			{UsageLine: "unshare NAME USER", Short: "withdraw an account's share of an instance and give the instance a new RCON password", Args: argsInstances, Run: instanceUnshare},
			{ReadOnly: true, UsageLine: "logs NAME [-n LINES] [--follow]", Short: "print an instance's console", Args: argsInstances, Run: instanceLogs},
			{ReadOnly: true, UsageLine: "events NAME [-n 50] [--kind KINDS] [--follow] [--json]", Short: "print an instance's game events (joins, leaves, chat, map starts, console commands), oldest first; --follow prints new ones as the panel records them", Args: argsInstances, Run: instanceEvents},
			{ReadOnly: true, UsageLine: "history NAME [--since 24h] [--step DURATION] [--json]", Short: "print an instance's players, map, state, CPU and memory over time (sampled by the panel every 30 s, kept 30 days)", Args: argsInstances, Run: instanceHistory},
			{ReadOnly: true, UsageLine: "layers", Short: "list the content layers instances can use", Run: instanceLayers},
			{UsageLine: "autostart", Short: "start the instances that were running (left4me-autostart.service at boot)", Run: instanceAutostart},
			{UsageLine: "clone SRC DST [--port N] [--owner USER] [--json]", Short: "make a stopped copy of an instance (running or not): its layers, srcds arguments, server.cfg and files, with its own port block and RCON password", Args: argsInstances, Run: instanceClone},
			{ReadOnly: true, UsageLine: "diff NAME [--json]", Short: "show what an instance's writable layer changes: new, changed (with a text diff) and deleted files, opaque directories", Args: argsInstances, Run: instanceDiff},
			{UsageLine: "backup NAME [-o FILE] [--with-rcon-password]", Short: "back up an instance (its upper files, settings, schedules; the RCON password only when asked) into one archive in the backups directory, or FILE", Args: argsInstances, Run: instanceBackup},
			{ReadOnly: true, UsageLine: "backups NAME [--json]", Short: "list the stored backups of an instance", Args: argsInstances, Run: instanceBackups},
			{UsageLine: "restore FILE [--name NEW] [--owner USER]", Short: "verify a backup archive and recreate its instance, stopped (under NEW when its name is taken)", Run: instanceRestore},
			{UsageLine: "backup-delete NAME FILE", Short: "delete a stored backup of an instance, manual or scheduled (FILE: a file name or path as `instance backups` lists it; also a deleted instance's)", Args: argsInstances, Run: instanceBackupDelete},
			{UsageLine: "backup-retention NAME [--keep-daily N] [--keep-weekly M]", Short: "show or set how many scheduled backups of an instance are kept (the newest of each of the last N days and M weeks)", Args: argsInstances, Run: instanceBackupRetention},
			{UsageLine: "revert NAME PATH", Short: "remove one path from a stopped instance's writable layer, so its layers' version shows again", Args: argsInstances, Run: instanceRevert},
		}},
		{UsageLine: "template", Short: "save instances as templates and list or remove them (instance create --from-template uses one)", Commands: []*Command{
			{UsageLine: "save INSTANCE NAME [--files] [--owner USER]", Short: "save an instance's layers, srcds arguments and server.cfg (and with --files its writable layer's files) as a template", Args: argsInstances, Run: templateSave},
			{ReadOnly: true, UsageLine: "list [--json]", Short: "list the templates", Run: templateList},
			{UsageLine: "remove NAME", Short: "remove a template (instances made from it keep their copies)", Run: templateRemove},
		}},
		{UsageLine: "schedule", Short: "restart, stop, start, update or send a console command to an instance at set times", Long: scheduleLong, Commands: []*Command{
			{UsageLine: "add NAME ACTION [COMMAND...] --daily HH:MM|--weekly 'DAY HH:MM'|--cron EXPR|--when WHEN [--policy when-empty|warn|now] [--max-wait DURATION] [--on-timeout run|skip] [--json]", Short: "add a schedule to an instance", Args: argsInstances, Run: scheduleAdd},
			{ReadOnly: true, UsageLine: "list [NAME] [--json]", Short: "list the schedules of an instance, or of every instance, with their next run", Args: argsInstances, Run: scheduleList},
			{UsageLine: "remove NAME ID", Short: "remove a schedule", Args: argsInstances, Run: scheduleRemove},
		}},
		{UsageLine: "ban", Short: "ban players by SteamID on every instance, list and lift bans", Long: banLong, Commands: []*Command{
			{UsageLine: "add STEAMID [--duration DURATION] [--reason TEXT] [--global] [--instance NAME]... [--json]", Short: "ban a player: stored, sent to the running instances and staged for the others", Run: banAdd},
			{ReadOnly: true, UsageLine: "list [QUERY...] [--json]", Short: "list the bans in force, searched by SteamID, reason, author or instance", Run: banList},
			{UsageLine: "remove ID [--json]", Short: "lift a ban (removeid on the running instances it covered)", Run: banRemove},
		}},
		{UsageLine: "job", Short: "inspect and cancel background jobs",
			Long: "STATE is one of queued, running, retrying, succeeded, failed, cancelled.\nThese verbs work on the database: the panel's workers see a cancel within a second.",
			Commands: []*Command{
				{ReadOnly: true, UsageLine: "list [--state STATE] [--kind KIND] [--limit N] [--json]", Short: "list jobs, newest first", Run: jobList},
				{ReadOnly: true, UsageLine: "show ID [--json]", Short: "show a job with its log", Run: jobShow},
				{UsageLine: "cancel ID", Short: "cancel a queued or running job", Run: jobCancel},
			}},
		{UsageLine: "install [--validate] [--steamcmd PATH | --queue] [--canary NAME] | --canary NAME --generation GEN | --rollback [GEN] | --list | --gc [--grace DURATION]", Short: "install or update the game as a new installation generation (--queue: as a job of the panel; --canary: tried on one instance before the others move); --rollback makes an older generation the default again; --list and --gc show and remove generations", Run: runInstall},
		{UsageLine: "overlay", Short: "manage content layers", Long: overlayLong, Commands: []*Command{
			{ReadOnly: true, UsageLine: "list [--json]", Short: "list the content layers", Run: overlayList},
			{ReadOnly: true, UsageLine: "show ID [--json] [--tree]", Short: "show a layer, its generations and recent builds", Run: overlayShow},
			{UsageLine: "create-script ID --script FILE|- [--name NAME] [--description TEXT] [--incremental]", Short: "create a layer built by a bash script", Run: overlayCreateScript},
			{UsageLine: "set-script ID --script FILE|-", Short: "replace a script layer's script (used by the next build)", Run: overlaySetScript},
			{UsageLine: "build ID [--timeout DURATION]", Short: "run a script layer's build and publish a new generation", Run: overlayBuild},
			{UsageLine: "upload ID --path left4dead2/DIR FILE [--as-file] [--name NAME]", Short: "publish a file or an archive as a new generation of an upload layer", Run: overlayUpload},
			{UsageLine: "seed DIR", Short: "create the script layers described in DIR", Run: overlaySeed},
			{UsageLine: "delete ID", Short: "delete a layer no instance uses", Run: overlayDelete},
			{UsageLine: "gc [--grace DURATION]", Short: "remove superseded generations of the installation and every layer", Run: overlayGC},
		}},
		{UsageLine: "workshop", Short: "manage Steam Workshop items", Long: workshopLong, Commands: []*Command{
			{UsageLine: "add [--queue] LAYER ID|URL...", Short: "add items (collections expand) to a workshop layer", Run: workshopAdd},
			{UsageLine: "remove LAYER ID|URL...", Short: "take items out of a layer", Run: workshopRemove},
			{ReadOnly: true, UsageLine: "list [--json]", Short: "list workshop layers", Run: workshopList},
			{ReadOnly: true, UsageLine: "show LAYER [--json]", Short: "show a layer's items", Run: workshopShow},
			{UsageLine: "refresh [--queue] [--json]", Short: "re-check every item and publish changed layers", Run: workshopRefresh},
			{UsageLine: "gc [--grace DURATION]", Short: "remove superseded downloads no instance names", Run: workshopGC},
		}},
		{UsageLine: "webhook", Short: "send events to webhooks (Discord, Slack, or signed JSON)",
			Long: "Events: " + strings.Join(notify.Events(), ", ") + ".\nThe json format posts {event, instance, time, detail} with X-Left4me-Signature: sha256=HMAC-SHA256(secret, body).\nOnly public addresses are allowed unless LEFT4ME_WEBHOOK_ALLOW_LOOPBACK=1 (a bridge on this host).\nThe panel's job workers deliver, retrying with backoff.",
			Commands: []*Command{
				{UsageLine: "add URL [--events LIST] [--format json|discord|slack] [--json]", Short: "add a webhook and print its signing secret (shown once)", Run: webhookAdd},
				{UsageLine: "list [--json]", Short: "list the webhooks with their last delivery", Run: webhookList},
				{UsageLine: "remove ID", Short: "remove a webhook", Run: webhookRemove},
				{UsageLine: "test ID", Short: "send a webhook.test event now and print the answer's status", Run: webhookTest},
				{UsageLine: "deliveries ID [--json]", Short: "show a webhook's last 50 deliveries with their status codes", Run: webhookDeliveries},
			}},
		{UsageLine: "player", Short: "look up players in the game servers' logs", Commands: []*Command{
			{ReadOnly: true, UsageLine: "show STEAMID [--json]", Short: "show a player across every instance: first and last seen, total time, names used (STEAM_1:0:N, [U:1:N] or the 64-bit id)", Run: playerShow},
		}},
		{UsageLine: "export NAME --oci DIR | --oci-archive FILE | --agones DIR [--with-upper] [--image REF] [--replicas N] [--port-policy Dynamic|Static]", Short: "export an instance as an OCI image (one layer per generation, cached) or as Agones Fleet and GameServer manifests (docs/scale-out.md)", Args: argsInstances, Run: runExport},
		{UsageLine: "audit [--instance NAME] [--user ACTOR] [--action ACTION] [--limit N] [--json]", Short: "show the audit log: who changed what, when, from where, and the result", Run: runAudit},
		{UsageLine: "doctor [--probe] [--json]", Short: "check this host; --probe also starts a temporary instance", Run: runDoctor},
		{UsageLine: "exec-server NAME [SRCDS-ARGS...]", Short: "the main process of left4me-server@NAME.service (run by systemd, not by people)", RawArgs: true, Run: runExecServer},
		{UsageLine: "completion", Short: "print a shell completion script", Commands: []*Command{
			{UsageLine: "bash", Short: "print the bash completion script (source <(left4me completion bash))",
				Run: func(ctx context.Context, env *cliEnv, args []string) error {
					if _, _, err := parseFlags(newFlags(env), args, 0); err != nil {
						return err
					}
					return writeBashCompletion(env.stdout, root)
				}},
		}},
		{UsageLine: "help [COMMAND [VERB]]", Short: "show the help of a command", RawArgs: true,
			Run: func(ctx context.Context, env *cliEnv, args []string) error {
				return runHelp(env, root, args)
			}},
	}
	return root.link()
}

const demoLong = `The demo needs no systemd, no game and no Go toolchain. It creates, in DIR
(./left4me-demo unless --dir): a state root with a stand-in game installation
(this program, which runs as the stand-in server when started as
srcds_linux), an example content layer, the database with an account admin
(a new password at every run, printed) and two instances, coop (started,
with simulated players) and versus (stopped). The servers run as child
processes through the same overlay code as production, which needs root or
unprivileged user namespaces. The servers take free ports from 27015-27999,
or from LEFT4ME_PORT_RANGE_START-LEFT4ME_PORT_RANGE_END when those are set.
Ctrl-C stops the panel and its servers; run it
again to reuse DIR. Nothing is written outside DIR: to remove the demo,
delete it (rm -rf ./left4me-demo).`

const overlayLong = `Script builds run in left4me-build@ units (LEFT4ME_BUILD_SANDBOX=systemd,
the default with the systemd supervisor) or, with LEFT4ME_BUILD_SANDBOX=none,
as plain child processes WITHOUT any sandbox (development and the demo only).
An upload that is a zip, tar or tar.gz archive is unpacked into --path; any
other file is stored as --path/NAME (or exactly at --path with --as-file).`

const workshopLong = `add, remove and refresh run in the foreground of this command and print
their progress on stderr. With --queue, add and refresh are queued as
background jobs for the panel's workers instead (see left4me job); a
refresh queued while one is queued or running is a no-op. STEAM_API_BASE
overrides the Steam Web API address.

Items whose details carry no downloadable file_url (SteamPipe-hosted: the
URL is empty, the preview image, or serves an image) are downloaded with
steamcmd (workshop_download_item 550 ID), found as for left4me install and
run in the left4me-steamcmd@ sandbox with the systemd supervisor. When that
fails the item is flagged: show prints the reason, and the item is not in
the layer until a later add or refresh gets it.`

// run dispatches args through the command table and returns the exit code:
// 0, 1 when the command failed, 2 on bad usage.
func run(ctx context.Context, env *cliEnv, args []string) int {
	root := commandTable()
	c := root
	for len(c.Commands) > 0 {
		if len(args) == 0 {
			c.printHelp(env.stderr)
			if c != root {
				fmt.Fprintf(env.stderr, "%s: usage: missing subcommand\n", c.Path())
			}
			return 2
		}
		name := args[0]
		if isHelpFlag(name) || (name == "help" && c != root) {
			// "left4me instance help create" is "left4me help instance create".
			path := strings.Fields(c.Path())[1:]
			return exitCode(env, root, runHelp(env, root, append(path, args[1:]...)))
		}
		sub := c.Lookup(name)
		if sub == nil {
			c.printHelp(env.stderr)
			what := "subcommand"
			if c == root {
				what = "command"
			}
			fmt.Fprintf(env.stderr, "%s: usage: unknown %s %q%s\n", c.Path(), what, name, suggest(c, name))
			return 2
		}
		c, args = sub, args[1:]
	}
	if wantsHelp(c, args) {
		c.printHelp(env.stdout)
		return 0
	}
	venv := *env
	venv.cmd = c
	venv.readOnly = c.ReadOnly
	err := c.Run(ctx, &venv, args)
	recordCLI(ctx, &venv, c, args, err)
	return exitCode(env, c, err)
}

// exitCode prints err as "left4me COMMAND: err" (bad input in one field
// as "left4me COMMAND VERB: FIELD: why", errorLine) and returns the exit
// code.
func exitCode(env *cliEnv, c *Command, err error) int {
	if err == nil {
		return 0
	}
	top := c
	for top.parent != nil && top.parent.parent != nil {
		top = top.parent
	}
	fmt.Fprintln(env.stderr, errorLine(top.Path(), c.Path(), err))
	if errors.Is(err, errUsage) {
		return 2
	}
	return 1
}

// isHelpFlag reports whether s asks for help: -h, -help or --help, also
// with a value (--help=true), which the flag package would otherwise
// answer with "flag: help requested" and exit 2.
func isHelpFlag(s string) bool {
	name, _, _ := strings.Cut(s, "=")
	return name == "-h" || name == "-help" || name == "--h" || name == "--help"
}

// wantsHelp reports whether the arguments of verb c ask for its help: -h,
// -help or --help before any "--" (only as the first argument of a RawArgs
// verb).
func wantsHelp(c *Command, args []string) bool {
	if c.RawArgs {
		return len(args) > 0 && isHelpFlag(args[0])
	}
	for _, a := range args {
		if a == "--" {
			return false
		}
		if isHelpFlag(a) {
			return true
		}
	}
	return false
}

// runHelp prints the help of the command path names (the root's when
// empty) on stdout; an unknown name prints the nearest usage on stderr.
func runHelp(env *cliEnv, root *Command, names []string) error {
	c := root
	for _, name := range names {
		if isHelpFlag(name) {
			continue
		}
		sub := c.Lookup(name)
		if sub == nil {
			c.printHelp(env.stderr)
			return fmt.Errorf("%w: %s has no command %q%s", errUsage, c.Path(), name, suggest(c, name))
		}
		c = sub
	}
	c.printHelp(env.stdout)
	return nil
}

// suggest returns ` (did you mean "x"?)` for the verb of c nearest to name:
// within two edits, or starting with it.
func suggest(c *Command, name string) string {
	best, bestDist := "", 3
	for _, sub := range c.Commands {
		d := editDistance(name, sub.Name())
		if len(name) >= 2 && strings.HasPrefix(sub.Name(), name) {
			d = min(d, 1)
		}
		if d < bestDist {
			best, bestDist = sub.Name(), d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// printHelp writes the help of c: its usage, Short and Long, and a group's
// verbs or a verb's flags.
func (c *Command) printHelp(w io.Writer) {
	fmt.Fprintf(w, "usage: %s\n\n%s\n", c.Usage(), c.Short)
	if c.Long != "" {
		fmt.Fprintf(w, "\n%s\n", c.Long)
	}
	if len(c.Commands) > 0 {
		fmt.Fprintln(w)
		if c.parent == nil {
			fmt.Fprintln(w, "commands:")
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			for _, sub := range c.Commands {
				short := sub.Short
				if len(sub.Commands) > 0 {
					var verbs []string
					for _, v := range sub.Commands {
						verbs = append(verbs, v.Name())
					}
					short += ": " + strings.Join(verbs, ", ")
				}
				fmt.Fprintf(tw, "  %s\t%s\n", sub.Name(), short)
			}
			tw.Flush()
			fmt.Fprintf(w, "\nRun \"left4me help COMMAND\" for a command's verbs and flags.\n")
			return
		}
		for _, sub := range c.Commands {
			fmt.Fprintf(w, "  %s\n      %s\n", sub.Usage(), sub.Short)
		}
		fmt.Fprintf(w, "\nRun \"left4me help %s VERB\" for a verb's flags.\n", c.Name())
		return
	}
	fs, err := c.flags()
	if err != nil {
		fmt.Fprintf(w, "\n(flags unknown: %v)\n", err)
		return
	}
	if fs != nil && hasFlags(fs) {
		fmt.Fprintln(w, "\nflags:")
		printFlags(w, fs)
	}
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// flagName is how a flag is written: -n for one letter, --name otherwise.
func flagName(f *flag.Flag) string {
	if len(f.Name) == 1 {
		return "-" + f.Name
	}
	return "--" + f.Name
}

// isBoolFlag reports whether f takes no value.
func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// printFlags writes fs's flags, one a line, with their defaults.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fs.VisitAll(func(f *flag.Flag) {
		kind, usage := flag.UnquoteUsage(f)
		if kind == "value" { // a flag.Value of its own: name the value by the flag
			kind = strings.ToUpper(f.Name)
		}
		name := flagName(f)
		if !isBoolFlag(f) {
			name += " " + kind
		}
		if !slices.Contains([]string{"", "0", "false", "0s"}, f.DefValue) {
			usage += " (default " + f.DefValue + ")"
		}
		fmt.Fprintf(tw, "  %s\t%s\n", name, usage)
	})
	tw.Flush()
}

// newFlags returns the FlagSet of the verb env runs; it reports errors
// (with the verb's usage on stderr) instead of exiting.
func newFlags(env *cliEnv) *flag.FlagSet {
	name, usage := "left4me", "left4me COMMAND [ARGS]"
	if env.cmd != nil {
		name, usage = env.cmd.Path(), env.cmd.Usage()
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: "+usage)
		printFlags(env.stderr, fs)
	}
	if env.declared != nil {
		*env.declared = fs
	}
	return fs
}

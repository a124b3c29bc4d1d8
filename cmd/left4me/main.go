// Command left4me is the panel and the command line of left4me.
//
//	left4me demo                 run a self-contained demo panel
//	left4me serve                serve the web panel and JSON API
//	left4me user ...             manage accounts
//	left4me instance ...         manage game-server instances
//	left4me job ...              background jobs
//	left4me install              install or update the game
//	left4me overlay ...          content layers
//	left4me workshop ...         Steam Workshop items
//	left4me exec-server NAME ... the main process of left4me-server@NAME.service
//	left4me doctor [--probe]     check this host
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/left4me/left4me/internal/process"
)

// command is one subcommand: it gets its own arguments (without the name).
type command struct {
	summary string
	run     func(ctx context.Context, env *cliEnv, args []string) error
}

// cliEnv is what every subcommand receives instead of globals.
type cliEnv struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

// errUsage marks an error that should print usage and exit 2.
var errUsage = errors.New("usage")

func commands() map[string]command {
	return map[string]command{
		"demo":     {"run a self-contained demo panel with stand-in servers", runDemo},
		"serve":    {"serve the web panel and JSON API", runServe},
		"user":     {"manage accounts: create, passwd, delete, list", runUser},
		"instance": {"manage instances: create, list, show, start, stop, restart, reset, delete, cfg", runInstance},
		"job":      {"background jobs: list, show, cancel", runJob},
		"install":  {"install or update the game (a new installation generation)", runInstall},
		"overlay":  {"content layers: list, seed, build, upload, show", runOverlay},
		"workshop": {"Steam Workshop items: add, list, refresh", runWorkshop},
		// Run by left4me-server@NAME.service, not by people.
		"exec-server": {"(run by left4me-server@.service) wait for the overlay, then exec srcds_run", runExecServer},
		"doctor":      {"check this host (--probe: start a temporary instance; --json)", runDoctor},
	}
}

func main() {
	// A server started by the process supervisor in its own user and mount
	// namespace re-executes this binary; it mounts and execs the server.
	if process.IsChild() {
		process.ChildMain()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, &cliEnv{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}, os.Args[1:])
	stop()
	os.Exit(code)
}

func run(ctx context.Context, env *cliEnv, args []string) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(env.stderr, cmds)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(env.stderr, "left4me: unknown command %q\n", args[0])
		printUsage(env.stderr, cmds)
		return 2
	}
	if err := cmd.run(ctx, env, args[1:]); err != nil {
		fmt.Fprintf(env.stderr, "left4me %s: %v\n", args[0], err)
		if errors.Is(err, errUsage) {
			return 2
		}
		return 1
	}
	return 0
}

func printUsage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "usage: left4me COMMAND [ARGS]")
	for _, name := range []string{"demo", "serve", "user", "instance", "job", "install", "overlay", "workshop", "doctor"} {
		if c, ok := cmds[name]; ok {
			fmt.Fprintf(w, "  %-10s %s\n", name, c.summary)
		}
	}
}

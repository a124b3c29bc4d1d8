// Command left4me is the panel and the command line of left4me. Its
// commands are the table in commands.go; `left4me help` lists them.
package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/left4me/left4me/internal/process"
)

// cliEnv is what every command receives instead of globals. Its getenv
// and environ are read only by config.go (loadConfig and its helpers).
type cliEnv struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	// cmd is the verb being run, set by run; newFlags names its FlagSet
	// and prints its usage from it.
	cmd *Command
	// declared, when set, receives the FlagSet newFlags makes (Command.flags
	// reads a verb's flags so).
	declared **flag.FlagSet
	// readOnly marks a command that only reads: it must not create a
	// state root or a database (requireState). run sets it from
	// Command.ReadOnly; a verb that reads or writes by its flags sets it.
	readOnly bool
	// environ lists the whole environment (os.Environ), for the processes
	// that inherit it; nil means none.
	environ func() []string
}

// errUsage marks an error that should print usage and exit 2.
var errUsage = errors.New("usage")

func main() {
	// Started as the demo's srcds_linux, or as `left4me fakesrcds`: the
	// stand-in game server (embedded.go). First, because a server the
	// process supervisor started runs it as a child of the re-executed
	// binary below.
	if code, ok := embeddedMain(os.Args); ok {
		os.Exit(code)
	}
	// A server started by the process supervisor in its own user and mount
	// namespace re-executes this binary; it mounts and execs the server.
	if spec := os.Getenv(process.ChildEnv); spec != "" {
		process.ChildMain(spec, os.Environ())
	}
	os.Exit(runMain(os.Args[1:]))
}

// runMain runs one command line with the process's standard streams and
// environment. SIGINT and SIGTERM cancel the command's context, except for
// exec-server (keepsStopSignals).
func runMain(args []string) int {
	ctx := context.Background()
	stop := func() {}
	if !keepsStopSignals(args) {
		ctx, stop = signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	}
	code := run(ctx, &cliEnv{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, environ: os.Environ}, args)
	stop()
	return code
}

// keepsStopSignals reports whether the command leaves SIGINT and SIGTERM at
// their default action: exec-server, which replaces itself with srcds_run.
// A stop signal caught by a handler in that process would be gone after the
// exec, and the server would run until the unit's stop timeout killed it
// (docs/lifecycle.md rule 4). Go hands a caught signal to the context from
// another goroutine, so no check before the exec can close that window;
// with the default action, a stop before the exec ends the process at once
// (systemd counts its KillSignal as a clean end) and one after it reaches
// srcds_run.
func keepsStopSignals(args []string) bool {
	return len(args) > 0 && args[0] == "exec-server"
}

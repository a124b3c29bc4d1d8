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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, &cliEnv{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, environ: os.Environ}, os.Args[1:])
	stop()
	os.Exit(code)
}

package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/left4me/left4me/internal/fakesrcds"
)

// fakesrcdsCommand is the hidden command that runs the stand-in game server
// (internal/fakesrcds) from this binary, so the demo needs no second
// program and no Go toolchain. It is outside the command table: nobody types
// it, the demo installation runs it.
const fakesrcdsCommand = "fakesrcds"

// engineName is the name srcds_run runs (./srcds_linux). The demo copies
// this binary there; started under that name it is the stand-in engine.
const engineName = "srcds_linux"

// embeddedMain runs embeddedCommand for main, stopping at SIGINT or SIGTERM.
func embeddedMain(argv []string) (code int, ok bool) {
	if !isEmbedded(argv) {
		return 0, false
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return embeddedCommand(ctx, argv, os.Stdout, os.Stderr)
}

// isEmbedded reports whether argv asks for a hidden command.
func isEmbedded(argv []string) bool {
	return (len(argv) > 0 && filepath.Base(argv[0]) == engineName) || (len(argv) > 1 && argv[1] == fakesrcdsCommand)
}

// embeddedCommand runs the hidden commands that argv asks for: the stand-in
// server when this binary was started as srcds_linux or as `left4me
// fakesrcds ARGS`. ok is false for every other command line.
func embeddedCommand(ctx context.Context, argv []string, stdout, stderr io.Writer) (code int, ok bool) {
	switch {
	case len(argv) > 0 && filepath.Base(argv[0]) == engineName:
		return runFakesrcds(ctx, argv[1:], stdout, stderr), true
	case len(argv) > 1 && argv[1] == fakesrcdsCommand:
		return runFakesrcds(ctx, argv[2:], stdout, stderr), true
	}
	return 0, false
}

// runFakesrcds runs the stand-in server with an srcds command line until ctx
// ends (SIGINT or SIGTERM), as cmd/fakesrcds does.
func runFakesrcds(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && isHelpFlag(args[0]) {
		fmt.Fprintln(stdout, "usage: left4me fakesrcds [SRCDS-ARGS...]\n\nthe stand-in game server of the demo (started as srcds_linux by the demo's srcds_run)")
		return 0
	}
	if err := fakesrcds.Run(ctx, fakesrcds.Config{Args: args, Stdout: stdout}); err != nil {
		fmt.Fprintf(stderr, "fakesrcds: %v\n", err)
		return 1
	}
	return 0
}

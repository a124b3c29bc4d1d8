// Command fakesrcds is a stand-in for the Left 4 Dead 2 dedicated server
// (srcds_linux) that behaves like it on every surface left4me touches: the
// srcds command line, cfg files, A2S queries, RCON, UDP logs and the console.
// See package internal/fakesrcds for the details.
//
//	fakesrcds -game left4dead2 +ip 0.0.0.0 +hostport 27015 +map c1m1_hotel
//	fakesrcds -write-install DIR   # write a stand-in installation running this binary
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/left4me/left4me/internal/fakesrcds"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) >= 1 && (args[0] == "-write-install" || args[0] == "--write-install") {
		if len(args) != 2 {
			fmt.Fprintln(os.Stderr, "usage: fakesrcds -write-install DIR")
			return 2
		}
		self, err := os.Executable()
		if err != nil {
			fmt.Fprintf(os.Stderr, "fakesrcds: find own binary: %v\n", err)
			return 1
		}
		if err := fakesrcds.WriteInstallation(args[1], self); err != nil {
			fmt.Fprintf(os.Stderr, "fakesrcds: %v\n", err)
			return 1
		}
		return 0
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := fakesrcds.Run(ctx, fakesrcds.Config{
		Args:             args,
		Stdout:           os.Stdout,
		AllowLoopbackLog: os.Getenv("FAKESRCDS_ALLOW_LOOPBACK_LOG") == "1",
	})
	switch {
	case errors.Is(err, fakesrcds.ErrCrash):
		fmt.Fprintf(os.Stderr, "fakesrcds: %v\n", err)
		return 1
	case err != nil:
		fmt.Fprintf(os.Stderr, "fakesrcds: %v\n", err)
		return 1
	}
	return 0
}

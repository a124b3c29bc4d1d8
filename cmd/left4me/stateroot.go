package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/left4me/left4me/internal/layout"
)

// errNoState is what a command that only reads answers when the state root
// or its database is missing: it names the root it looked at and creates
// nothing (docs/operations.md §2).
var errNoState = errors.New("no left4me state here")

// requireState checks that cfg's state root and database exist, for the
// commands that only read: they must never create a state root. The error
// names the directory looked at and how to point the CLI at another one.
func requireState(cfg Config) error {
	fi, err := os.Stat(cfg.Root.String())
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%w: the state root %s does not exist (%s, default %s); set %s to the directory of your panel or demo, e.g. %s=$PWD/left4me-demo",
			errNoState, cfg.Root, layout.RootEnv, layout.DefaultRoot, layout.RootEnv, layout.RootEnv)
	case err != nil:
		return fmt.Errorf("look at the state root %s: %w", cfg.Root, err)
	case !fi.IsDir():
		return fmt.Errorf("%w: the state root %s is not a directory; set %s to the directory of your panel or demo", errNoState, cfg.Root, layout.RootEnv)
	}
	if _, err := os.Stat(cfg.DatabasePath); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: the state root %s has no database (%s does not exist): no panel has run there; set %s to the directory of your panel or demo, or start one with `left4me serve`",
			errNoState, cfg.Root, cfg.DatabasePath, layout.RootEnv)
	} else if err != nil {
		return fmt.Errorf("look at the database %s: %w", cfg.DatabasePath, err)
	}
	return nil
}

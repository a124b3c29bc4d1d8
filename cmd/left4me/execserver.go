package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/overlay"
)

// overlayWait bounds how long exec-server waits for the unit's
// ExecStartPost to mount the overlay; systemd's TimeoutStartSec= and the
// failure of ExecStartPost normally end the wait first.
const overlayWait = 60 * time.Second

// runExecServer is the main process of left4me-server@NAME.service:
//
//	left4me exec-server NAME [SRCDS-ARGS...]
//
// It waits until the instance's overlay is mounted on runtime/NAME/merged in
// this process's own mount namespace (the unit's ExecStartPost does that, see
// docs/lifecycle.md rule 2), changes to merged/left4dead2 (rule 4) and
// replaces itself with merged/srcds_run (rule 5: the binary's path decides
// which tree the engine reads).
func runExecServer(ctx context.Context, env *cliEnv, args []string) error {
	if len(args) < 1 {
		return fmt.Errorf("%w: left4me exec-server NAME [SRCDS-ARGS...]", errUsage)
	}
	name := args[0]
	if err := layout.ValidateName(name); err != nil {
		return err
	}
	root, environ, err := execServerEnv(env)
	if err != nil {
		return err
	}
	merged := root.Merged(name)
	if err := waitMounted(ctx, merged, overlayWait); err != nil {
		if ctx.Err() != nil {
			// The caller cancelled the wait (systemd's stop signals keep
			// their default action here and end the process instead, see
			// keepsStopSignals): a clean stop, not a failure.
			fmt.Fprintf(env.stderr, "left4me exec-server: %s stopped before the server started\n", name)
			return nil
		}
		return err
	}
	if err := os.Chdir(filepath.Join(merged, "left4dead2")); err != nil {
		return fmt.Errorf("exec-server %s: %w", name, err)
	}
	prog := filepath.Join(merged, "srcds_run")
	argv := append([]string{prog}, args[1:]...)
	if err := syscall.Exec(prog, argv, environ); err != nil {
		return fmt.Errorf("exec-server %s: exec %s: %w", name, prog, err)
	}
	return nil
}

// waitMounted waits until dir is the root of a file system other than its
// parent's, polling: a mount raises no inotify event on the directory.
func waitMounted(ctx context.Context, dir string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		mounted, err := isMountRoot(dir)
		if err != nil {
			return fmt.Errorf("wait for the overlay on %s: %w", dir, err)
		}
		if mounted {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("wait for the overlay on %s: nothing mounted after %s (the unit's ExecStartPost mounts it)", dir, limit)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// isMountRoot reports whether dir is a mount root; a dir that does not
// exist yet is not.
func isMountRoot(dir string) (bool, error) {
	ok, err := overlay.IsMounted(dir)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	return ok, err
}

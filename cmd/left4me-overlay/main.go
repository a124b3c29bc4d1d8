// Command left4me-overlay mounts one instance's overlay into the instance
// unit's own mount namespace, and checks that it is gone after the unit
// stopped. It is the only part of left4me that runs as root: systemd runs it
// from the unit's ExecStartPost=/ExecStopPost= lines (docs/lifecycle.md
// rules 2, 3 and 7):
//
//	left4me-overlay mount NAME    (ExecStartPost: mount in the main process's namespace)
//	left4me-overlay umount NAME   (ExecStopPost: check it is released, remove work/work)
//
// "mount" validates instance.env in PID 1's mount namespace, then re-executes
// itself through nsenter into the namespace of the unit's main process
// ("left4me-overlay attach NAME LAYER..." with the validated layers relative
// to the state root), where it mounts.
//
// It trusts nothing but its arguments and the state root named by the
// root-owned /etc/left4me/host.env (default /var/lib/left4me; never the
// environment): the layers come from instances/NAME/instance.env and are
// validated by internal/overlay. With LEFT4ME_OVERLAY_PRINT_ONLY=1 it
// validates everything, prints one line saying what it would do, and exits
// 0 without mounting or unmounting.
//
// Started outside PID 1's mount namespace (by the unit's ExecStartPost=+ and
// ExecStopPost=+) it re-executes itself through nsenter into that namespace
// with an environment of PATH and the main process id only: the
// unit's environment includes instance.env, which the unprivileged service
// user writes.
//
// Exit status: 0 done (or nothing to do), 1 refused or failed, 2 bad usage.
// Messages go to stderr, prefixed "left4me-overlay: ".
//
// Dependencies are kept to the standard library, golang.org/x/sys and
// internal/layout so that this binary stays small enough to audit.
package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/overlay"
)

const usage = "usage: left4me-overlay mount|umount NAME"

func main() {
	args := os.Args[1:]
	if len(args) == 0 || args[0] != attachVerb {
		if err := enterHostMountNS(args, os.Getenv); err != nil {
			fmt.Fprintf(os.Stderr, "left4me-overlay: %v\n", err)
			os.Exit(1)
		}
	}
	os.Exit(run(args, os.Getenv, os.Stdout, os.Stderr, procFS{root: "/proc"}))
}

func run(args []string, getenv func(string) string, stdout, stderr io.Writer, proc procFS) int {
	fail := func(err error) int {
		fmt.Fprintf(stderr, "left4me-overlay: %v\n", err)
		return 1
	}
	if len(args) >= 2 && args[0] == attachVerb {
		return attach(args[1], args[2:], getenv, stderr)
	}
	if len(args) != 2 || (args[0] != "mount" && args[0] != "umount") {
		fmt.Fprintf(stderr, "left4me-overlay: %s\n", usage)
		return 2
	}
	verb, name := args[0], args[1]
	if err := layout.ValidateName(name); err != nil {
		return fail(err)
	}
	root, err := rootFromConfig(configPath)
	if err != nil {
		return fail(err)
	}
	printOnly := getenv(printOnlyEnv) == "1"

	if verb == "mount" {
		plan, err := overlay.Load(root, name)
		if err != nil {
			return fail(err)
		}
		if printOnly {
			fmt.Fprintln(stdout, plan.String())
			return 0
		}
		// NOTE: docs/lifecycle.md rule 7 — an earlier run's overlay must be
		// gone before the same upper and work directories are mounted again
		// (overlayfs only warns about a second mount of an upperdir in use,
		// and what follows is undefined). The kernel's work/work left over
		// from a run that ended without ExecStopPost is removed here.
		// work/work exists from a mount until the clean-up after it: only
		// then can an earlier overlay still be around.
		if _, err := os.Lstat(filepath.Join(root.Work(name), "work")); err == nil {
			if err := proc.checkReleased(name, false); err != nil {
				return fail(fmt.Errorf("mount %w", err))
			}
		}
		if err := cleanup(root, name); err != nil {
			return fail(err)
		}
		mainPID := getenv(mainPIDEnv)
		if mainPID == "" {
			mainPID = getenv("MAINPID")
		}
		nsFD, err := proc.unitMountNS(name, mainPID)
		if err != nil {
			return fail(err)
		}
		return fail(execAttach(nsFD, name, plan, getenv))
	}

	plan, err := overlay.LoadUnmount(root, name)
	if err != nil {
		return fail(err)
	}
	if printOnly {
		fmt.Fprintln(stdout, plan.String())
		return 0
	}
	// NOTE: docs/lifecycle.md rules 2 and 3 — the overlay lived only in the
	// main process's mount namespace, which the kernel tore down with the
	// last process of the unit; ExecStopPost runs once the cgroup is empty.
	// What is left to check is that no process outside the unit (an
	// operator's nsenter shell, say) keeps that namespace, and so the
	// overlay, alive.
	if err := proc.checkReleased(name, true); err != nil {
		return fail(fmt.Errorf("umount %w", err))
	}
	unmounted, err := overlay.Unmount(plan)
	if err != nil {
		return fail(err)
	}
	if unmounted {
		// A mount in PID 1's namespace, left by a version of left4me that
		// mounted there.
		fmt.Fprintf(stderr, "left4me-overlay: %s: unmounted %s from PID 1's mount namespace\n", name, plan.Target)
	} else {
		fmt.Fprintf(stderr, "left4me-overlay: %s: released\n", name)
	}
	return 0
}

// cleanup removes what an earlier run left on the host: a mount in PID 1's
// namespace made by an older left4me, and the kernel's work/work.
func cleanup(root layout.Root, name string) error {
	up, err := overlay.LoadUnmount(root, name)
	if err != nil {
		return err
	}
	_, err = overlay.Unmount(up)
	return err
}

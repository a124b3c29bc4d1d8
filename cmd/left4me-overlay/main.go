// Command left4me-overlay mounts and unmounts one instance's overlay. It is
// the only part of left4me that runs as root: systemd runs it from the
// instance unit's ExecStartPre=/ExecStopPost= lines, in PID 1's mount
// namespace (DESIGN.md §1 rules 2 and 7):
//
//	left4me-overlay mount NAME
//	left4me-overlay umount NAME
//
// It trusts nothing but its arguments and LEFT4ME_ROOT (default
// /var/lib/left4me): the layers come from instances/NAME/instance.env and are
// validated by internal/overlay. With LEFT4ME_OVERLAY_PRINT_ONLY=1 it
// validates everything, prints one line saying what it would do, and exits
// 0 without mounting or unmounting.
//
// Started outside PID 1's mount namespace (by the unit's ExecStartPre=+ and
// ExecStopPost=+) it re-executes itself through nsenter into that namespace
// with an environment of PATH and LEFT4ME_ROOT only: the unit's environment
// includes instance.env, which the unprivileged service user writes.
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

	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/overlay"
)

const usage = "usage: left4me-overlay mount|umount NAME"

func main() {
	if err := enterHostMountNS(os.Args[1:], os.Getenv); err != nil {
		fmt.Fprintf(os.Stderr, "left4me-overlay: %v\n", err)
		os.Exit(1)
	}
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fail := func(err error) int {
		fmt.Fprintf(stderr, "left4me-overlay: %v\n", err)
		return 1
	}
	if len(args) != 2 || (args[0] != "mount" && args[0] != "umount") {
		fmt.Fprintf(stderr, "left4me-overlay: %s\n", usage)
		return 2
	}
	verb, name := args[0], args[1]
	if err := layout.ValidateName(name); err != nil {
		return fail(err)
	}
	root, err := layout.FromEnv(getenv)
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
		res, err := overlay.Mount(plan, overlay.MountOptions{})
		if err != nil {
			return fail(err)
		}
		if res.AlreadyMounted {
			fmt.Fprintf(stderr, "left4me-overlay: %s: already mounted on %s, nothing to do\n", name, plan.Target)
		} else {
			fmt.Fprintf(stderr, "left4me-overlay: %s: mounted %d layers on %s (%s)\n", name, len(plan.Lower), plan.Target, res.Technique)
		}
		return 0
	}

	plan, err := overlay.LoadUnmount(root, name)
	if err != nil {
		return fail(err)
	}
	if printOnly {
		fmt.Fprintln(stdout, plan.String())
		return 0
	}
	unmounted, err := overlay.Unmount(plan)
	if err != nil {
		return fail(err)
	}
	if unmounted {
		fmt.Fprintf(stderr, "left4me-overlay: %s: unmounted %s\n", name, plan.Target)
	} else {
		fmt.Fprintf(stderr, "left4me-overlay: %s: nothing mounted on %s\n", name, plan.Target)
	}
	return 0
}

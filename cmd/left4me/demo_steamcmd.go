package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/steamcmd"
)

// demoSteamCmdNote is what the demo's Installation page and install jobs
// say about the steamcmd they run.
const demoSteamCmdNote = "This demo's Install / update runs the stand-in steamcmd (fakesteamcmd): it publishes a stand-in game in a second, offline; nothing is downloaded from Steam. Set LEFT4ME_STEAMCMD to use a real steamcmd."

// fakesteamcmdPackage is the import path of the stand-in steamcmd.
const fakesteamcmdPackage = "github.com/left4me/left4me/cmd/fakesteamcmd"

// demoFakesteamcmd returns the stand-in steamcmd the demo installs with: a
// fakesteamcmd next to this binary (make build puts it in bin/), or one
// built now with the Go toolchain into the demo directory.
func demoFakesteamcmd(ctx context.Context, env *cliEnv, root layout.Root) (string, error) {
	if self, err := os.Executable(); err == nil {
		sibling := filepath.Join(filepath.Dir(self), "fakesteamcmd")
		if fi, err := os.Stat(sibling); err == nil && fi.Mode().IsRegular() {
			return sibling, nil
		}
	}
	out := filepath.Join(root.String(), "bin", "fakesteamcmd")
	goTool, err := exec.LookPath("go")
	if err != nil {
		if fi, serr := os.Stat(out); serr == nil && fi.Mode().IsRegular() {
			return out, nil
		}
		return "", errors.New("no stand-in steamcmd (fakesteamcmd) next to left4me and no Go toolchain to build one; put one there (go build ./cmd/fakesteamcmd) or set LEFT4ME_STEAMCMD")
	}
	fmt.Fprintln(env.stdout, "Building the stand-in steamcmd (fakesteamcmd) ...")
	cmd := exec.CommandContext(ctx, goTool, "build", "-o", out, fakesteamcmdPackage)
	cmd.Stdout, cmd.Stderr = env.stderr, env.stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("could not build the stand-in steamcmd (fakesteamcmd; run the demo from the left4me source tree, or set LEFT4ME_STEAMCMD): %w", err)
	}
	return out, nil
}

// useDemoSteamCmd points the demo's installs at the stand-in steamcmd,
// which installs srcds as the stand-in game server; a steamcmd the
// operator named (LEFT4ME_STEAMCMD) is kept. Without a stand-in (none next
// to this binary, none buildable) it says so and leaves installs to
// Valve's steamcmd.
func useDemoSteamCmd(ctx context.Context, env *cliEnv, cfg *Config, fakesrcdsBin string) error {
	if cfg.Content.SteamCmd != "" {
		return nil
	}
	bin, err := demoFakesteamcmd(ctx, env, cfg.Root)
	if err != nil {
		// The demo still runs (a packaged left4me has no Go toolchain to
		// build the stand-in with); it says what Install / update does.
		fmt.Fprintf(env.stdout, "Install / update will download Valve's steamcmd: %v\n", err)
		return nil
	}
	cfg.Content.SteamCmd = bin
	cfg.SteamCmdEnv = []string{"FAKESTEAMCMD_SRCDS=" + fakesrcdsBin, "FAKESTEAMCMD_STATE_DIR=" + cfg.Root.Steam()}
	cfg.SteamCmdNote = demoSteamCmdNote
	return nil
}

// notedRunner is a steamcmd runner whose output begins with a note (the
// demo's: which steamcmd this is), so the install job's log says it.
type notedRunner struct {
	steamcmd.Runner
	note string
}

func (r notedRunner) Run(ctx context.Context, installDir string, args []string, line func(string)) error {
	line("left4me: " + r.note)
	return r.Runner.Run(ctx, installDir, args, line)
}

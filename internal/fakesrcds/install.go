package fakesrcds

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
)

// ManifestName is the app manifest of the dedicated server (app 222860),
// relative to an installation root.
const ManifestName = "steamapps/appmanifest_222860.acf"

// srcdsRun is the stand-in's srcds_run. Like Valve's it changes to its own
// directory before starting the engine, so the server reads the cfgs of the
// tree it was started from (for left4me: the instance's merged overlay).
const srcdsRun = `#!/bin/sh
# srcds_run stand-in written by left4me's fakesrcds: like Valve's script it
# changes to its own directory, then runs the engine binary found there.
cd "$(dirname "$0")" || exit 1
exec ./srcds_linux "$@"
`

const manifest = `"AppState"
{
	"appid"		"222860"
	"Universe"		"1"
	"name"		"Left 4 Dead 2 Dedicated Server"
	"StateFlags"		"4"
	"installdir"		"Left 4 Dead 2 Dedicated Server"
	"LastUpdated"		"1764400000"
	"SizeOnDisk"		"0"
	"buildid"		"%s"
	"LastOwner"		"0"
	"AutoUpdateBehavior"		"0"
	"AllowOtherDownloadsWhileRunning"		"0"
	"ScheduledAutoUpdate"		"0"
}
`

// WriteInstallation writes a stand-in game installation into dir (created
// when missing; existing files of the same names are replaced):
//
//	srcds_run                          sh script: cd to its own dir, exec ./srcds_linux "$@"
//	srcds_linux                        a copy of the fakesrcds binary at binaryPath
//	left4dead2/cfg/                    where server.cfg and other cfgs go
//	left4dead2/addons/                 where .vpk addons go
//	steamapps/appmanifest_222860.acf   with "buildid" BuildID
//
// This is the one canonical way to get a tree that starts like a real
// installation; `fakesrcds -write-install DIR` does the same from a shell.
// An empty binaryPath writes the tree without srcds_linux, enough for a
// Server started in-process with Config.Dir set to dir.
func WriteInstallation(dir, binaryPath string) error {
	if dir == "" {
		return fmt.Errorf("write installation: empty directory name")
	}
	for _, d := range []string{"left4dead2/cfg", "left4dead2/addons", "steamapps"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return fmt.Errorf("write installation: %w", err)
		}
	}
	if binaryPath != "" {
		if err := copyExecutable(binaryPath, filepath.Join(dir, "srcds_linux")); err != nil {
			return fmt.Errorf("write installation: copy engine binary: %w", err)
		}
	}
	if err := writeFile(filepath.Join(dir, "srcds_run"), []byte(srcdsRun), 0o755); err != nil {
		return fmt.Errorf("write installation: %w", err)
	}
	if err := writeFile(filepath.Join(dir, ManifestName), fmt.Appendf(nil, manifest, BuildID), 0o644); err != nil {
		return fmt.Errorf("write installation: %w", err)
	}
	return nil
}

// writeFile writes through a temporary file and a rename, so a running
// server never sees a half-written file.
func writeFile(path string, data []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return err
	}
	if err := os.Chmod(tmp, mode); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func copyExecutable(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := dst + ".tmp"
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	return os.Rename(tmp, dst)
}

// PackagePath is the import path of the fakesrcds command.
const PackagePath = "github.com/left4me/left4me/cmd/fakesrcds"

// Build compiles the fakesrcds binary to out with the go tool on PATH. It is
// meant for tests and harnesses inside this module's tree.
func Build(ctx context.Context, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, PackagePath)
	// A static binary runs in any root the harnesses start it in.
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", PackagePath, err, msg)
	}
	return nil
}

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

// srcdsRun is the stand-in's srcds_run, written to behave like Valve's
// script (docs/srcds.md §1 and §8):
//
//   - it changes to its own directory, so the engine reads the cfgs of the
//     tree it was started from (for left4me: the instance's merged overlay);
//   - it keeps its arguments as one string (PARAMS=$*) and runs the engine
//     with that string unquoted, so an argument with spaces is split and
//     one with * ? [ may be glob-expanded in that directory;
//   - without -norestart it runs ./srcds_linux as a child and, when the
//     child exits non-zero, prints "<date>: Server restart in 10 seconds",
//     sleeps and runs it again, for ever; exit status 0 ends the loop;
//   - with -norestart it runs the engine once and exits with its status.
//
// FAKESRCDS_RESTART_DELAY (seconds, default 10) shortens the sleep for
// tests; the real script has no such variable.
//
// Unlike Valve's script, which leaves signals to its caller (systemd sends
// KillSignal= to the whole cgroup; left4me's process supervisor signals the
// process group), this one also forwards SIGINT and SIGTERM to the engine,
// so a signal to the script alone still stops the server; it then exits
// with the engine's status instead of restarting it.
const srcdsRun = `#!/bin/sh
# srcds_run stand-in written by left4me's fakesrcds; it behaves like Valve's
# script (see internal/fakesrcds/install.go).
cd "$(dirname "$0")" || exit 1
PARAMS=$*
RESTART=yes
for arg in "$@"; do
	if [ "$arg" = "-norestart" ]; then
		RESTART=
	fi
done
DELAY=${FAKESRCDS_RESTART_DELAY:-10}
case $DELAY in
'' | *[!0-9]*) DELAY=10 ;;
esac
HL=./srcds_linux
if [ ! -x "$HL" ]; then
	echo "ERROR: Cannot find $HL in $(pwd)"
	exit 1
fi
HL_CMD="$HL $PARAMS"

caught=
child=
forward() {
	caught=$1
	if [ -n "$child" ]; then
		pass "$1"
	fi
}
# pass sends the signal to the engine now and again at growing intervals for
# as long as the engine lives: one that arrives while the engine is still
# starting, with SIGINT still ignored as in every background command of a
# shell, would be lost. The re-sender itself ignores SIGINT (dash gives that
# to every background command and a trap cannot undo it), so it must end on
# its own soon after the engine: it checks before every re-send and gives up
# after about a second, well inside the unit's stop timeout.
pass() {
	kill "-$1" "$child" 2>/dev/null
	(
		c=$child
		for d in 0.02 0.05 0.1 0.2 0.5; do
			sleep "$d"
			kill -0 "$c" 2>/dev/null || exit 0
			kill "-$1" "$c" 2>/dev/null
		done
	) &
}
trap 'forward INT' INT
trap 'forward TERM' TERM

while :; do
	# The engine runs in the background only so that a trapped signal
	# interrupts the wait below; the script is still its parent. A shell
	# starts background commands with SIGINT ignored: the subshell restores
	# the default, so the engine stops on the SIGINT systemd sends to the
	# whole unit even before it has set up its own handling.
	(trap - INT TERM; exec $HL_CMD) &
	child=$!
	# A signal caught before child was set has not been passed on yet.
	if [ -n "$caught" ]; then
		pass "$caught"
	fi
	wait "$child"
	status=$?
	# A trapped signal interrupts wait with a status over 128 while the
	# engine may still run: wait until its own status comes back.
	while [ -n "$caught" ] && [ "$status" -gt 128 ]; do
		wait "$child"
		s=$?
		if [ "$s" -eq 127 ]; then
			break
		fi
		status=$s
	done
	child=
	if [ -n "$caught" ] || [ -z "$RESTART" ] || [ "$status" -eq 0 ]; then
		exit "$status"
	fi
	echo "$(date): Server restart in $DELAY seconds"
	sleep "$DELAY" &
	child=$!
	wait "$child"
	kill "$child" 2>/dev/null
	child=
	if [ -n "$caught" ]; then
		exit 0
	fi
done
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
//	srcds_run                          sh script like Valve's: cd to its own dir, run ./srcds_linux, restart it after a crash unless -norestart
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
	// The go tool inherits this process's environment (exec.Cmd's).
	cmd.Env = append(cmd.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", PackagePath, err, msg)
	}
	return nil
}

// Command fakesteamcmd stands in for Valve's steamcmd.sh in tests and the
// demo. It understands the commands left4me sends
//
//	+force_install_dir DIR +@sSteamCmdForcePlatformType windows|linux
//	+login anonymous +app_update 222860 [validate] +quit
//
// and behaves like the real one on every surface left4me relies on
// (docs/srcds.md §1): progress lines in the real format, the success line, an app
// manifest with a buildid, and the platform quirk — a Linux-only anonymous
// first install prints "ERROR! Failed to install app '222860' (Invalid
// platform)" and still exits 0; after a Windows pass into the same
// directory the Linux pass works.
//
// The game files come from internal/fakesrcds.WriteInstallation. Knobs, all
// environment variables:
//
//	FAKESTEAMCMD_BUILDID  build id to install (default 1000); a different id
//	                      than the directory holds is an update that changes
//	                      left4dead2/steam.inf and adds left4dead2/build-ID.txt
//	FAKESTEAMCMD_SRCDS    a fakesrcds binary to install as srcds_linux
//	FAKESTEAMCMD_INPLACE  1: rewrite changed files in place (open+truncate)
//	                      instead of write-and-rename, to prove that left4me
//	                      never lets an update touch a published generation
//	FAKESTEAMCMD_FAIL     print this as an "ERROR!" line and exit 0
//	FAKESTEAMCMD_EXIT     exit with this status after a successful run
//	FAKESTEAMCMD_WINDOWS_FAILS
//	                      fail the first N Windows-platform passes with
//	                      "ERROR! Failed to install app '222860' (Missing
//	                      configuration)" (exit 0), as a fresh install's
//	                      first Windows pass sometimes does (docs/srcds.md
//	                      §8); the count is kept in FAKESTEAMCMD_STATE_DIR
//	FAKESTEAMCMD_STATE_DIR
//	                      where the stand-in keeps state between runs, as
//	                      the real one does in its own directory (default:
//	                      the directory of the executable)
//
// It also understands
//
//	+workshop_download_item 550 ID [validate]
//
// printing "Downloading item ID ..." and then either the real success line,
// `Success. Downloaded item ID to "DIR/steamapps/workshop/content/550/ID"
// (N bytes)`, with a small addon VPK written there, or `ERROR! Download
// item ID failed (REASON).` (wording as quoted by steamcmd's users; exit
// status 0 either way). Knobs:
//
//	FAKESTEAMCMD_WORKSHOP_FAIL    comma-separated item ids (or "all") whose
//	                              download fails
//	FAKESTEAMCMD_WORKSHOP_REASON  the failure's reason (default "Failure")
//	FAKESTEAMCMD_WORKSHOP_SOURCE  a directory holding ID.vpk files to hand
//	                              out instead of a generated VPK (titled
//	                              "Workshop item ID" with map ws_ID)
//	FAKESTEAMCMD_WORKSHOP_FILE    name of the file written in the item
//	                              directory, %d standing for the id
//	                              (default "%d_addon.vpk": not ID.vpk, as
//	                              the real name is not documented)
//	FAKESTEAMCMD_WORKSHOP_CORRUPT 1: flip the file's last byte (CRC error)
package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/left4me/left4me/internal/fakesrcds"
)

const appID = "222860"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Getenv))
}

type request struct {
	dir      string
	platform string
	login    string
	app      string
	validate bool
	// workshop holds "APP ID" pairs of +workshop_download_item, in order.
	workshop [][2]string
}

func parse(args []string) (request, error) {
	r := request{platform: "linux"}
	for i := 0; i < len(args); i++ {
		next := func() (string, error) {
			if i+1 >= len(args) {
				return "", fmt.Errorf("%s needs an argument", args[i])
			}
			i++
			return args[i], nil
		}
		var err error
		switch args[i] {
		case "+force_install_dir":
			r.dir, err = next()
		case "+@sSteamCmdForcePlatformType":
			r.platform, err = next()
		case "+login":
			r.login, err = next()
		case "+app_update":
			r.app, err = next()
			if err == nil && i+1 < len(args) && args[i+1] == "validate" {
				r.validate = true
				i++
			}
		case "+workshop_download_item":
			var app, id string
			if app, err = next(); err == nil {
				id, err = next()
			}
			if err == nil && i+1 < len(args) && args[i+1] == "validate" {
				i++
			}
			r.workshop = append(r.workshop, [2]string{app, id})
		case "+quit":
		default:
			err = fmt.Errorf("unknown command %q", args[i])
		}
		if err != nil {
			return r, err
		}
	}
	return r, nil
}

func run(args []string, out io.Writer, getenv func(string) string) int {
	fmt.Fprintln(out, "Redirecting stderr to '/tmp/Steam/logs/stderr.txt'")
	fmt.Fprintln(out, "[  0%] Checking for available updates...")
	fmt.Fprintln(out, "[----] Verifying installation...")
	fmt.Fprintln(out, "Steam Console Client (c) Valve Corporation - version 1764000000")
	fmt.Fprintln(out, "-- type 'quit' to exit --")
	fmt.Fprintln(out, "Loading Steam API...OK")
	r, err := parse(args)
	if err != nil {
		fmt.Fprintf(out, "ERROR! %v\n", err)
		return 0
	}
	if r.login != "anonymous" {
		fmt.Fprintln(out, "FAILED (Invalid Password)")
		return 0
	}
	fmt.Fprintln(out, "Logging in user 'anonymous' to Steam Public...OK")
	fmt.Fprintln(out, "Waiting for user info...OK")
	for _, w := range r.workshop {
		downloadItem(out, r.dir, w[0], w[1], getenv)
	}
	if r.app == "" {
		return 0
	}
	if r.app != appID {
		fmt.Fprintf(out, "ERROR! Failed to install app '%s' (No subscription)\n", r.app)
		return 0
	}
	if r.dir == "" {
		fmt.Fprintln(out, "ERROR! Failed to install app '222860' (Missing configuration)")
		return 0
	}
	if r.platform == "windows" && failWindowsPass(getenv) {
		progress(out, "0x61", "downloading", 1)
		fmt.Fprintf(out, "ERROR! Failed to install app '%s' (Missing configuration)\n", appID)
		return 0
	}
	if msg := getenv("FAKESTEAMCMD_FAIL"); msg != "" {
		fmt.Fprintf(out, "ERROR! Failed to install app '%s' (%s)\n", appID, msg)
		return 0
	}
	manifest := filepath.Join(r.dir, fakesrcds.ManifestName)
	_, statErr := os.Stat(manifest)
	installed := statErr == nil
	if r.platform == "linux" && !installed {
		// The late-2024 behaviour of an anonymous Linux-only first install.
		fmt.Fprintf(out, "ERROR! Failed to install app '%s' (Invalid platform)\n", appID)
		return 0
	}
	if r.platform != "linux" && r.platform != "windows" {
		fmt.Fprintf(out, "ERROR! Failed to install app '%s' (Invalid platform)\n", appID)
		return 0
	}
	build := getenv("FAKESTEAMCMD_BUILDID")
	if build == "" {
		build = "1000"
	}
	old := ""
	if installed {
		old = readBuildID(manifest)
	}
	if r.validate {
		progress(out, "0x5", "verifying install", 3)
	}
	if old != build || r.platform == "windows" {
		progress(out, "0x61", "downloading", 5)
		progress(out, "0x81", "verifying update", 2)
		progress(out, "0x101", "committing", 2)
	}
	if err := install(r, build, old, getenv); err != nil {
		fmt.Fprintf(out, "ERROR! Failed to install app '%s' (Disk write failure: %v)\n", appID, err)
		return 0
	}
	fmt.Fprintf(out, "Success! App '%s' fully installed.\n", appID)
	if s := getenv("FAKESTEAMCMD_EXIT"); s != "" {
		n, _ := strconv.Atoi(s)
		return n
	}
	return 0
}

// progress prints steps progress lines of one update state.
func progress(out io.Writer, code, state string, steps int) {
	const total = 1_073_741_824
	for i := 1; i <= steps; i++ {
		done := int64(total) * int64(i) / int64(steps+1)
		fmt.Fprintf(out, " Update state (%s) %s, progress: %.2f (%d / %d)\n", code, state, float64(done)*100/total, done, int64(total))
		time.Sleep(time.Millisecond)
	}
}

func readBuildID(manifest string) string {
	data, err := os.ReadFile(manifest)
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Split(line, "\"")
		if len(f) >= 4 && strings.EqualFold(f[1], "buildid") {
			return f[3]
		}
	}
	return ""
}

func install(r request, build, old string, getenv func(string) string) error {
	inplace := getenv("FAKESTEAMCMD_INPLACE") == "1"
	if r.platform == "windows" {
		// A Windows pass leaves Windows binaries and a manifest behind.
		if err := os.MkdirAll(filepath.Join(r.dir, "steamapps"), 0o755); err != nil {
			return err
		}
		if err := writeFile(filepath.Join(r.dir, "srcds.exe"), []byte("MZ stand-in\n"), 0o755, inplace); err != nil {
			return err
		}
		return writeManifest(r.dir, build, inplace)
	}
	if err := fakesrcds.WriteInstallation(r.dir, getenv("FAKESTEAMCMD_SRCDS")); err != nil {
		return err
	}
	// The Linux pass with validate removes what the Windows pass left.
	if r.validate {
		os.Remove(filepath.Join(r.dir, "srcds.exe"))
	}
	inf := fmt.Sprintf("ClientVersion=2.2.4.3\nServerVersion=2.2.4.3\nPatchVersion=2.2.4.3\nProductName=l4d2\nappID=550\nBuildID=%s\n", build)
	if err := writeFile(filepath.Join(r.dir, "left4dead2", "steam.inf"), []byte(inf), 0o644, inplace); err != nil {
		return err
	}
	if old != build {
		if err := writeFile(filepath.Join(r.dir, "left4dead2", "build-"+build+".txt"), []byte(build+"\n"), 0o644, inplace); err != nil {
			return err
		}
	}
	return writeManifest(r.dir, build, inplace)
}

func writeManifest(dir, build string, inplace bool) error {
	m := fmt.Sprintf("\"AppState\"\n{\n\t\"appid\"\t\t\"%s\"\n\t\"Universe\"\t\t\"1\"\n\t\"name\"\t\t\"Left 4 Dead 2 Dedicated Server\"\n\t\"StateFlags\"\t\t\"4\"\n\t\"buildid\"\t\t\"%s\"\n}\n", appID, build)
	return writeFile(filepath.Join(dir, fakesrcds.ManifestName), []byte(m), 0o644, inplace)
}

// writeFile writes data to path either in place (truncating the existing
// file, as a careless updater would) or through a new file and a rename.
func writeFile(path string, data []byte, mode os.FileMode, inplace bool) error {
	if inplace {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
		if err != nil {
			return err
		}
		if _, err := f.Write(data); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	tmp := path + ".fakesteamcmd"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

package doctor

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/left4me/left4me/internal/layout"
)

// runtime32 are the 32-bit libraries srcds_linux needs and the Debian
// packages that ship them.
var runtime32 = []struct{ file, pkg string }{
	{"/usr/lib32/libgcc_s.so.1", "lib32gcc-s1"},
	{"/usr/lib32/libstdc++.so.6", "lib32stdc++6"},
}

// CheckRuntime32: the 32-bit C and C++ runtimes srcds_linux (a 32-bit
// program) is linked against are installed.
func (d *Doctor) CheckRuntime32(ctx context.Context) Result {
	const name = "runtime32"
	installed, haveDpkg := dpkgInstalled(d.sys("/var/lib/dpkg/status"))
	var missing, found, pkgs []string
	for _, r := range runtime32 {
		fi, err := os.Stat(d.sys(r.file))
		if err != nil || !fi.Mode().IsRegular() {
			missing = append(missing, r.file)
			pkgs = append(pkgs, r.pkg)
			continue
		}
		note := r.file
		if haveDpkg {
			if installed[r.pkg] {
				note += " (" + r.pkg + ")"
			} else {
				note += " (not from " + r.pkg + ")"
			}
		}
		found = append(found, note)
	}
	if len(missing) > 0 {
		return fail(name, "missing "+strings.Join(missing, ", ")+": srcds_linux cannot start", "apt install "+strings.Join(pkgs, " "))
	}
	return ok(name, strings.Join(found, ", "))
}

// dpkgInstalled reads dpkg's status file and returns the packages whose
// status is "install ok installed"; ok is false without the file.
func dpkgInstalled(path string) (map[string]bool, bool) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	out := map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var pkg string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			pkg = ""
		case strings.HasPrefix(line, "Package: "):
			pkg = strings.TrimSpace(strings.TrimPrefix(line, "Package: "))
		case strings.HasPrefix(line, "Status: ") && pkg != "":
			if strings.TrimSpace(strings.TrimPrefix(line, "Status: ")) == "install ok installed" {
				out[pkg] = true
			}
		}
	}
	return out, true
}

// CheckSteamClient: the service user's ~/.steam/sdk32/steamclient.so,
// which srcds loads at start, resolves to a file ("left4me install" links
// ~/.steam/sdk32 to steamcmd's linux32).
func (d *Doctor) CheckSteamClient(ctx context.Context) Result {
	const name = "steamclient"
	if d.Identity.ServiceErr != nil {
		return fail(name, d.Identity.ServiceErr.Error(), "systemd-sysusers (deploy/sysusers.d/left4me.conf)")
	}
	home := d.Identity.Service.Home
	link := filepath.Join(home, ".steam", "sdk32")
	path := filepath.Join(link, "steamclient.so")
	fix := "left4me install (as " + ServiceUser + "; it links " + link + " to steamcmd's linux32)"
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrPermission) && !d.Identity.root() && !d.Identity.service():
		return d.skipped(name, home)
	case err != nil:
		where := path
		if target, lerr := os.Readlink(link); lerr == nil {
			where += " (" + link + " -> " + target + ")"
		}
		return fail(name, fmt.Sprintf("%s: %v", where, unwrapPath(err)), fix)
	case !fi.Mode().IsRegular():
		return fail(name, path+" is not a regular file", fix)
	}
	resolved, err := filepath.EvalSymlinks(path)
	if err != nil {
		resolved = path
	}
	return ok(name, fmt.Sprintf("%s -> %s (%d bytes)", path, resolved, fi.Size()))
}

// unwrapPath drops the path a *PathError repeats.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// CheckInstallation: the default installation generation, the one new
// starts use (layout.Default), has srcds_run and srcds_linux, both
// executable.
func (d *Doctor) CheckInstallation(ctx context.Context) Result {
	const name = "installation"
	dir := d.Config.Root.Installations()
	fix := "left4me install (as " + ServiceUser + ")"
	gen, err := layout.Default(dir) // the one unpinned starts pick
	switch {
	case errors.Is(err, os.ErrPermission) && !d.Identity.root() && !d.Identity.service():
		return d.skipped(name, dir)
	case err != nil:
		return fail(name, fmt.Sprintf("%s: %v", dir, unwrapPath(err)), fix)
	case gen == "":
		return fail(name, "no installation generation under "+dir, fix)
	}
	inst := d.Config.Root.Installation(gen)
	var bad []string
	for _, f := range []string{"srcds_run", "srcds_linux"} {
		fi, err := os.Stat(filepath.Join(inst, f))
		switch {
		case err != nil:
			bad = append(bad, f+": "+unwrapPath(err).Error())
		case !fi.Mode().IsRegular():
			bad = append(bad, f+" is not a regular file")
		case fi.Mode().Perm()&0o100 == 0:
			bad = append(bad, fmt.Sprintf("%s is not executable (mode %04o)", f, fi.Mode().Perm()))
		}
	}
	if len(bad) > 0 {
		return fail(name, inst+": "+strings.Join(bad, "; "), fix+" again (a new generation is verified before it is published)")
	}
	return ok(name, fmt.Sprintf("generation %s: srcds_run and srcds_linux present and executable", gen))
}

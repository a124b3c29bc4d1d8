package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/left4me/left4me/internal/layout"
)

// configPath is the settings file the helper takes the state root from
// (LEFT4ME_ROOT= in it; the installed /etc/left4me/host.env). It is a
// variable only so that tests can link the helper against a file of their
// own (go build -ldflags "-X main.configPath=…"); nothing changes it at run
// time.
var configPath = "/etc/left4me/host.env"

// rootFromConfig returns the state root named by the helper's settings file,
// or layout.DefaultRoot when the file does not exist.
//
// NOTE: never from the environment. systemd gives the helper the variables
// of every EnvironmentFile= of the unit, and instances/NAME/instance.env,
// which the service user writes, comes last: a LEFT4ME_ROOT= line there
// would choose the tree the root helper validates and mounts from (an attack
// review mounted a root under a directory of /tmp the service user owned).
// The file and every directory above it must belong to root (or, for tests
// run unprivileged, to the user running the helper) and be writable by no one
// else; a root-owned sticky directory such as /tmp is accepted on the way.
func rootFromConfig(path string) (layout.Root, error) {
	if err := checkConfigPath(path); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return layout.New(layout.DefaultRoot)
		}
		return "", err
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	dir := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		key, val, ok := strings.Cut(line, "=")
		if !ok || strings.HasPrefix(line, "#") || strings.TrimSpace(key) != layout.RootEnv {
			continue
		}
		val = strings.TrimSpace(val)
		if len(val) >= 2 && (val[0] == '"' || val[0] == '\'') && val[len(val)-1] == val[0] {
			val = val[1 : len(val)-1]
		}
		dir = val // the last assignment wins, as in systemd's EnvironmentFile=
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	if dir == "" {
		dir = layout.DefaultRoot
	}
	root, err := layout.New(dir)
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return root, nil
}

// checkConfigPath refuses a settings file that anyone but root (or the
// helper's own user) could have written or replaced.
func checkConfigPath(path string) error {
	if !filepath.IsAbs(path) {
		return fmt.Errorf("settings file %q: not an absolute path", path)
	}
	me := uint32(os.Geteuid())
	trusted := func(uid uint32) bool { return uid == 0 || uid == me }
	var st syscall.Stat_t
	if err := syscall.Lstat(path, &st); err != nil {
		return fmt.Errorf("settings file %s: %w", path, err)
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		return fmt.Errorf("settings file %s: not a regular file", path)
	}
	if !trusted(st.Uid) || st.Mode&0o022 != 0 {
		return fmt.Errorf("settings file %s: must belong to root and be writable by no one else (owner uid %d, mode %o)", path, st.Uid, st.Mode&0o7777)
	}
	for dir := filepath.Dir(path); ; dir = filepath.Dir(dir) {
		if err := syscall.Lstat(dir, &st); err != nil {
			return fmt.Errorf("settings file %s: %s: %w", path, dir, err)
		}
		sticky := st.Mode&syscall.S_ISVTX != 0 && st.Uid == 0
		if st.Mode&syscall.S_IFMT != syscall.S_IFDIR || !trusted(st.Uid) || (st.Mode&0o022 != 0 && !sticky) {
			return fmt.Errorf("settings file %s: directory %s may be changed by others than root (owner uid %d, mode %o)", path, dir, st.Uid, st.Mode&0o7777)
		}
		if dir == "/" {
			return nil
		}
	}
}

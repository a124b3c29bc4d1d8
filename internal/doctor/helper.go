package doctor

import (
	"context"
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// CheckHelper: the privileged overlay helper is installed root-owned, not
// writable by anyone else (nor is its directory), executable, and
// statically linked: systemd runs it as root with the environment of the
// service user's instance.env, so a dynamic loader would honour LD_PRELOAD
// (deploy/systemd/left4me-server@.service).
func (d *Doctor) CheckHelper(ctx context.Context) Result {
	const name = "helper"
	path := d.helper()
	reinstall := "make install PREFIX=/usr (installs it 0755 root:root, built with CGO_ENABLED=0)"
	fi, err := os.Lstat(path)
	if err != nil {
		return fail(name, fmt.Sprintf("%s: %v", path, err), reinstall)
	}
	if !fi.Mode().IsRegular() {
		return fail(name, path+" is not a regular file ("+fi.Mode().Type().String()+")", reinstall)
	}
	st := fi.Sys().(*syscall.Stat_t)
	mode := fi.Mode()
	switch {
	case st.Uid != 0:
		return fail(name, fmt.Sprintf("%s is owned by uid %d, not root", path, st.Uid), "chown root:root "+path)
	case mode.Perm()&0o022 != 0:
		return fail(name, fmt.Sprintf("%s has mode %04o: writable by group or others", path, mode.Perm()), "chmod 0755 "+path)
	case mode.Perm()&0o100 == 0:
		return fail(name, fmt.Sprintf("%s has mode %04o: not executable", path, mode.Perm()), "chmod 0755 "+path)
	}
	dir := filepath.Dir(path)
	if dfi, err := os.Stat(dir); err == nil {
		dst := dfi.Sys().(*syscall.Stat_t)
		if dst.Uid != 0 || dfi.Mode().Perm()&0o022 != 0 {
			return fail(name, fmt.Sprintf("%s is owned by uid %d with mode %04o: someone but root could replace the helper", dir, dst.Uid, dfi.Mode().Perm()),
				"chown root:root "+dir+" && chmod 0755 "+dir)
		}
	}
	static, err := staticELF(path)
	if err != nil {
		return fail(name, fmt.Sprintf("%s: %v", path, err), reinstall)
	}
	if !static {
		return fail(name, path+" is dynamically linked (has a PT_INTERP program header): as root it would honour LD_PRELOAD from instance.env", reinstall)
	}
	found := fmt.Sprintf("%s: root-owned, mode %04o, statically linked", path, mode.Perm())
	if mode&(os.ModeSetuid|os.ModeSetgid) != 0 {
		return warn(name, found+", but setuid/setgid", "chmod 0755 "+path+" (systemd runs it as root through \"+\"; it needs no setuid bit)")
	}
	return ok(name, found)
}

// staticELF reports whether path is an ELF executable without an
// interpreter (no PT_INTERP program header).
func staticELF(path string) (bool, error) {
	f, err := elf.Open(path)
	if err != nil {
		return false, fmt.Errorf("not an ELF executable: %w", err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return false, nil
		}
	}
	return true, nil
}

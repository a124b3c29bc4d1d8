package backup

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"

	"golang.org/x/sys/unix"
)

// ErrDirNotWritable: this process may not write into the backups directory
// (a read-only file system, as left4me-web.service's sandbox makes every
// path outside its ReadWritePaths=, or the directory's permissions). The
// message names the directory and what the operator must change.
var ErrDirNotWritable = errors.New("cannot write into the backups directory")

// checkDirWritable makes dir (the instance's directory of the backups
// directory) when missing and checks that this process may create a file
// in it, so that a backup fails before it reads anything, with what to do.
func (s *Service) checkDirWritable(dir string) error {
	err := s.mkdirOwned(dir)
	if err == nil {
		// access(2) answers EROFS for a read-only mount and honours the
		// permissions; it writes nothing.
		if err = unix.Access(dir, unix.W_OK|unix.X_OK); err != nil {
			err = &fs.PathError{Op: "write into", Path: dir, Err: err}
		}
	}
	if err == nil {
		return nil
	}
	var why string
	switch {
	case errors.Is(err, syscall.EROFS):
		// NOTE: docs/operations.md §4 ("Backups") — the panel's unit has
		// ProtectSystem=strict: only the state root is writable.
		why = fmt.Sprintf("it is on a file system that is read-only to this process. The panel (left4me-web.service) may write only under the state root %s: "+
			"add ReadWritePaths=%s to it (systemctl edit left4me-web.service, then restart it); outside the panel, mount that file system read-write; "+
			"or set LEFT4ME_BACKUP_DIR to a directory under the state root",
			s.cfg.Root, s.cfg.Dir)
	case errors.Is(err, fs.ErrPermission):
		why = fmt.Sprintf("the service user may not write there: give %s to it (chown -R left4me:left4me %s), or set LEFT4ME_BACKUP_DIR to another directory",
			s.cfg.Dir, s.cfg.Dir)
	default:
		return err
	}
	s.log.Error("backups directory not writable", "dir", s.cfg.Dir, "err", err)
	return fmt.Errorf("%w %s (%w): %s", ErrDirNotWritable, s.cfg.Dir, err, why)
}

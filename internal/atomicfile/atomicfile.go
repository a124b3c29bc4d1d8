// Package atomicfile replaces files so that readers see the old content or
// the new, never a mix, and a failed write leaves the old file in place.
//
// It depends on the standard library only: the privileged overlay helper's
// package uses it.
package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
)

// Options are the new file's mode and owner. UID and GID -1 keep the
// writer's; the zero value of Options is not useful, use Perm at least.
type Options struct {
	Perm     os.FileMode
	UID, GID int
}

// WriteFile writes data to a temporary file in path's directory, sets its
// mode and owner, syncs it, renames it over path and syncs the directory.
// On error the temporary file is removed.
func WriteFile(path string, data []byte, o Options) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = tmp.Chmod(o.Perm); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if o.UID != -1 || o.GID != -1 {
		if err = tmp.Chown(o.UID, o.GID); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("write %s: sync directory: %w", path, err)
	}
	defer d.Close()
	if err = d.Sync(); err != nil {
		return fmt.Errorf("write %s: sync directory: %w", path, err)
	}
	return nil
}

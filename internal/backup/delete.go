package backup

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/layout"
)

// Delete removes the stored backup file of instance name: a manual one
// (which the retention never prunes) or a scheduled one. file is a file
// name as List gives it, never a path; a name that is not a backup's, or
// is another instance's backup, is refused naming the field, and one that
// is not stored is ErrNotFound. Nothing is removed then.
func (s *Service) Delete(ctx context.Context, name, file string) error {
	if err := layout.ValidateName(name); err != nil {
		return &instance.FieldError{Field: FieldName, Err: err}
	}
	in, ok := parseFile(file)
	if !ok || filepath.Base(file) != file {
		return &instance.FieldError{Field: FieldFile, Err: fmt.Errorf("%q is not the file name of a backup (NAME-TIME-KIND%s, as the list of backups shows it)", file, Ext)}
	}
	if in.Instance != name {
		return &instance.FieldError{Field: FieldFile, Err: fmt.Errorf("%q is a backup of %s, not of %s", file, in.Instance, name)}
	}
	p := filepath.Join(s.cfg.Dir, name, file)
	fi, err := os.Lstat(p)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%s has no backup %q: %w", name, file, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("delete backup %s of %s: %w", file, name, err)
	}
	if !fi.Mode().IsRegular() {
		return &instance.FieldError{Field: FieldFile, Err: fmt.Errorf("%q in the backups of %s is not a backup file (a %s): remove it by hand", file, name, fileKind(fi.Mode()))}
	}
	if err := os.Remove(p); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%s has no backup %q: %w", name, file, ErrNotFound)
		}
		return fmt.Errorf("delete backup %s of %s: %w", file, name, err)
	}
	s.log.Info("backup deleted", "instance", name, "file", p, "size", fi.Size())
	return nil
}

// fileKind names what a file that is not a regular file is.
func fileKind(m os.FileMode) string {
	switch {
	case m&os.ModeSymlink != 0:
		return "symbolic link"
	case m.IsDir():
		return "directory"
	default:
		return "special file"
	}
}

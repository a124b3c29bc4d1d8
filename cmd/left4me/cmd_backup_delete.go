package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/left4me/left4me/internal/backup"
)

// instanceBackupDelete deletes one stored backup of an instance
// (backup.Service.Delete).
func instanceBackupDelete(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	pos, _, err := parseFlags(fs, args, 2)
	if err != nil {
		return err
	}
	name, file := pos[0], pos[1]
	return withApp(ctx, env, func(a *app) error {
		svc := a.backups()
		// `instance backups` prints each backup's path: take that path as
		// its file name. Any other path goes on as it is, to be refused.
		if strings.Contains(file, "/") {
			if abs, err := filepath.Abs(file); err == nil && filepath.Dir(abs) == filepath.Join(svc.Dir(), name) {
				file = filepath.Base(abs)
			}
		}
		if err := svc.Delete(ctx, name, file); err != nil {
			if errors.Is(err, backup.ErrNotFound) {
				return fmt.Errorf("%w; `left4me instance backups %s` lists them", err, name)
			}
			return err
		}
		fmt.Fprintf(env.stdout, "deleted backup %s of %s\n", file, name)
		return nil
	})
}

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/left4me/left4me/internal/backup"
	"github.com/left4me/left4me/internal/bytesize"
	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/views"
)

// backups is the backup service of a command (and of the panel).
func (a *app) backups() *backup.Service {
	return backup.New(backup.Config{Root: a.cfg.Root, Dir: a.cfg.BackupDir, Instances: a.svc,
		Schedules: a.schedules(), Store: a.store, Logger: a.log})
}

// instanceBackup makes a backup: into the backups directory, or -o FILE.
func instanceBackup(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	out := fs.String("o", "", "write the archive to FILE instead of the backups directory")
	withRCON := fs.Bool("with-rcon-password", false, "put the instance's RCON password into the backup")
	pos, _, err := parseFlags(fs, args, 1)
	if err != nil {
		return err
	}
	return withApp(ctx, env, func(a *app) error {
		opts := backup.Options{WithRCONPassword: *withRCON}
		if *out != "" {
			dest, err := filepath.Abs(*out)
			if err != nil {
				return fmt.Errorf("-o: %w", err)
			}
			if err := a.backups().BackupTo(ctx, pos[0], dest, opts); err != nil {
				return err
			}
			fi, err := os.Stat(dest)
			if err != nil {
				return err
			}
			fmt.Fprintf(env.stdout, "backed up %s to %s (%s)\n", pos[0], dest, bytesize.Format(fi.Size()))
			return nil
		}
		b, err := a.backups().Backup(ctx, pos[0], opts)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "backed up %s to %s (%s)\n", pos[0], b.Path, bytesize.Format(b.Size))
		return nil
	})
}

// instanceBackups lists the stored backups of an instance.
func instanceBackups(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	asJSON := fs.Bool("json", false, "print the backups as JSON")
	pos, _, err := parseFlags(fs, args, 1)
	if err != nil {
		return err
	}
	return withApp(ctx, env, func(a *app) error {
		if _, err := a.svc.Get(ctx, pos[0]); err != nil {
			return err
		}
		list, err := a.backups().List(ctx, pos[0])
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(env.stdout, views.NewBackups(list))
		}
		tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "FILE\tKIND\tSIZE\tMADE")
		for _, b := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", b.Path, b.Kind, bytesize.Format(b.Size), b.CreatedAt.Local().Format(time.DateTime))
		}
		return tw.Flush()
	})
}

// instanceRestore restores an archive as a new instance.
func instanceRestore(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	name := fs.String("name", "", "the new instance's name (default: the name in the archive, which must be free)")
	owner := fs.String("owner", "", "the account that owns it (default: the archive's owner)")
	pos, _, err := parseFlags(fs, args, 1)
	if err != nil {
		return err
	}
	return withApp(ctx, env, func(a *app) error {
		f, err := os.Open(pos[0])
		if err != nil {
			return &instance.FieldError{Field: backup.FieldFile, Err: err}
		}
		defer f.Close()
		opts := backup.RestoreOptions{Name: *name}
		if *owner != "" {
			u, err := a.store.UserByName(ctx, *owner)
			if err != nil {
				return &instance.FieldError{Field: instance.FieldOwner, Err: fmt.Errorf("no account %q", *owner)}
			}
			opts.OwnerID = u.ID
		}
		res, err := a.backups().Restore(ctx, f, opts)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "restored %s from %s (port %d, stopped)\n", res.Instance.Name, pos[0], res.Instance.Port)
		for _, w := range res.Warnings {
			fmt.Fprintf(env.stdout, "note: %s\n", w)
		}
		return nil
	})
}

// instanceBackupRetention shows or sets how many scheduled backups are
// kept.
func instanceBackupRetention(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	daily := fs.String("keep-daily", "", "keep the newest scheduled backup of each of the last N days")
	weekly := fs.String("keep-weekly", "", "keep the newest scheduled backup of each of the last M weeks")
	pos, _, err := parseFlags(fs, args, 1)
	if err != nil {
		return err
	}
	return withApp(ctx, env, func(a *app) error {
		svc := a.backups()
		r, err := svc.Retention(ctx, pos[0])
		if err != nil {
			return err
		}
		if *daily != "" || *weekly != "" {
			for _, f := range []struct {
				v     string
				field string
				to    *int
			}{{*daily, backup.FieldKeepDaily, &r.KeepDaily}, {*weekly, backup.FieldKeepWeekly, &r.KeepWeekly}} {
				if f.v == "" {
					continue
				}
				n, err := strconv.Atoi(f.v)
				if err != nil {
					return &instance.FieldError{Field: f.field, Err: fmt.Errorf("%q is not a number", f.v)}
				}
				*f.to = n
			}
			if err := svc.SetRetention(ctx, pos[0], r); err != nil {
				return err
			}
		}
		fmt.Fprintf(env.stdout, "%s keeps the newest scheduled backup of each of the last %d days and %d weeks\n", pos[0], r.KeepDaily, r.KeepWeekly)
		return nil
	})
}

package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/left4me/left4me/internal/bytesize"
	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/views"
)

// ownerID reads the account named by --owner (0 when not given).
func ownerID(ctx context.Context, a *app, name string) (int64, error) {
	if name == "" {
		return 0, nil
	}
	u, err := a.store.UserByName(ctx, name)
	if err != nil {
		return 0, &instance.FieldError{Field: instance.FieldOwner, Err: userErr(name, err)}
	}
	return u.ID, nil
}

// instanceClone is `left4me instance clone SRC DST`.
func instanceClone(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	portText := fs.String("port", "", "the clone's game port; empty, 0 or auto picks a free port block")
	owner := fs.String("owner", "", "the account that owns the clone (default: the source's owner)")
	asJSON := fs.Bool("json", false, "print the clone as JSON")
	pos, _, err := parseFlags(fs, args, 2)
	if err != nil {
		return err
	}
	if err := instance.ValidateName(pos[1]); err != nil {
		return err
	}
	port, err := instance.ParsePort(*portText)
	if err != nil {
		return err
	}
	return withApp(ctx, env, func(a *app) error {
		id, err := ownerID(ctx, a, *owner)
		if err != nil {
			return err
		}
		in, err := a.svc.Clone(ctx, pos[0], instance.CloneSpec{Name: pos[1], Port: port, OwnerID: id})
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(env.stdout, describe(ctx, a, in, nil, false))
		}
		fmt.Fprintf(env.stdout, "cloned %s as %s on port %d (stopped)\n", pos[0], in.Name, in.Port)
		return nil
	})
}

// instanceDiff is `left4me instance diff NAME`.
func instanceDiff(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	asJSON := fs.Bool("json", false, "print the changes as JSON")
	pos, _, err := parseFlags(fs, args, 1)
	if err != nil {
		return err
	}
	return withApp(ctx, env, func(a *app) error {
		changes, err := a.svc.Diff(ctx, pos[0])
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(env.stdout, struct {
				Changes []views.Change `json:"changes"`
			}{views.NewChanges(changes)})
		}
		if len(changes) == 0 {
			fmt.Fprintf(env.stdout, "%s: nothing differs from its layers\n", pos[0])
			return nil
		}
		tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "CHANGE\tSIZE\tPATH\tSHADOWS")
		for _, c := range changes {
			kind := string(c.Kind)
			if c.Type == "directory" {
				kind += " dir"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", kind, bytesize.Format(c.Size), c.Path, c.Shadows)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		for _, c := range changes {
			switch {
			case c.Diff != "":
				fmt.Fprintf(env.stdout, "\n%s", c.Diff)
			case c.Note != "":
				fmt.Fprintf(env.stdout, "\n%s: %s\n", c.Path, c.Note)
			}
		}
		return nil
	})
}

// instanceRevert is `left4me instance revert NAME PATH`.
func instanceRevert(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	pos, _, err := parseFlags(fs, args, 2)
	if err != nil {
		return err
	}
	return withApp(ctx, env, func(a *app) error {
		if err := a.svc.Revert(ctx, pos[0], pos[1]); err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "reverted %s in %s: its layers' version shows from the next start\n", pos[1], pos[0])
		return nil
	})
}

// templateSave is `left4me template save INSTANCE NAME`.
func templateSave(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	files := fs.Bool("files", false, "also save the files of the instance's writable layer")
	owner := fs.String("owner", "", "the account that owns the template (default: the instance's owner)")
	pos, _, err := parseFlags(fs, args, 2)
	if err != nil {
		return err
	}
	return withApp(ctx, env, func(a *app) error {
		id, err := ownerID(ctx, a, *owner)
		if err != nil {
			return err
		}
		t, err := a.svc.SaveTemplate(ctx, pos[0], pos[1], *files, id)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "saved %s as template %s (files: %s)\n", pos[0], t.Name, filesText(t))
		return nil
	})
}

func filesText(t instance.Template) string {
	if !t.Files {
		return "none"
	}
	return bytesize.Format(t.Size)
}

// templateList is `left4me template list`.
func templateList(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	asJSON := fs.Bool("json", false, "print the templates as JSON")
	if _, _, err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	return withApp(ctx, env, func(a *app) error {
		list, err := a.svc.Templates(ctx)
		if err != nil {
			return err
		}
		names, err := views.UserNames(ctx, a.store)
		if err != nil {
			return err
		}
		if *asJSON {
			out := make([]views.Template, 0, len(list))
			for _, t := range list {
				out = append(out, views.NewTemplate(t, names))
			}
			return writeJSON(env.stdout, out)
		}
		tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "TEMPLATE\tOWNER\tFROM\tLAYERS\tFILES")
		for _, t := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.Name, names[t.OwnerID], t.Source, strings.Join(t.Layers, ","), filesText(t))
		}
		return tw.Flush()
	})
}

// templateRemove is `left4me template remove NAME`.
func templateRemove(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	pos, _, err := parseFlags(fs, args, 1)
	if err != nil {
		return err
	}
	return withApp(ctx, env, func(a *app) error {
		if err := a.svc.RemoveTemplate(ctx, pos[0]); err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "removed template %s\n", pos[0])
		return nil
	})
}

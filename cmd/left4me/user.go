package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/sys/unix"

	"github.com/left4me/left4me/internal/account"
	"github.com/left4me/left4me/internal/auth"
	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/roles"
	"github.com/left4me/left4me/internal/store"
	"github.com/left4me/left4me/internal/views"
)

// adminPasswordEnv supplies the password to user create and user passwd.
const adminPasswordEnv = "LEFT4ME_ADMIN_PASSWORD"

// withApp loads the configuration, opens the app, runs fn and closes it.
func withApp(ctx context.Context, env *cliEnv, fn func(a *app) error) error {
	cfg, err := env.config()
	if err != nil {
		return err
	}
	if env.readOnly {
		if err := requireState(cfg); err != nil {
			return err
		}
	}
	cfg.Logger = slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	a, err := openApp(ctx, cfg)
	if err != nil {
		return err
	}
	ferr := fn(a)
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	return errors.Join(ferr, a.Close(cctx))
}

// oneOrMore as parseFlags' want accepts any number of positional arguments
// but none.
const oneOrMore = -1

// parseFlags parses args with flags and positional arguments in any order.
// Everything after a "--" is returned as rest, unparsed. want is the exact
// number of positional arguments, or oneOrMore.
func parseFlags(fs *flag.FlagSet, args []string, want int) (pos, rest []string, err error) {
	for i, a := range args {
		if a == "--" {
			args, rest = args[:i], args[i+1:]
			break
		}
	}
	for {
		if err := fs.Parse(args); err != nil {
			return nil, nil, fmt.Errorf("%w: %w", errUsage, err)
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	if want == oneOrMore && len(pos) == 0 {
		fs.Usage()
		return nil, nil, fmt.Errorf("%w: want at least one argument", errUsage)
	}
	if want != oneOrMore && len(pos) != want {
		fs.Usage()
		return nil, nil, fmt.Errorf("%w: want %d argument(s), got %d", errUsage, want, len(pos))
	}
	return pos, rest, nil
}

// terminalFd returns stdin's descriptor when it is a terminal.
func terminalFd(r io.Reader) (int, bool) {
	f, ok := r.(*os.File)
	if !ok {
		return -1, false
	}
	fd := int(f.Fd())
	if _, err := unix.IoctlGetTermios(fd, unix.TCGETS); err != nil {
		return -1, false
	}
	return fd, true
}

// readSecretLine reads a line from the terminal fd with echo off.
func readSecretLine(fd int, r *bufio.Reader) (string, error) {
	old, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return "", err
	}
	noEcho := *old
	noEcho.Lflag &^= unix.ECHO
	noEcho.Lflag |= unix.ICANON | unix.ISIG
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, &noEcho); err != nil {
		return "", err
	}
	defer unix.IoctlSetTermios(fd, unix.TCSETS, old)
	return readLine(r)
}

func readLine(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		if errors.Is(err, io.EOF) {
			return "", errors.New("no password given on standard input")
		}
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// readPassword gets a new password: given (LEFT4ME_ADMIN_PASSWORD,
// Config.AdminPassword), typed twice on a terminal without echo, or one line
// of a non-terminal stdin.
func readPassword(env *cliEnv, given, user string) (string, error) {
	if pw := given; pw != "" {
		return pw, account.ValidatePassword(pw)
	}
	r := bufio.NewReader(env.stdin)
	fd, tty := terminalFd(env.stdin)
	if !tty {
		pw, err := readLine(r)
		if err != nil {
			return "", err
		}
		return pw, account.ValidatePassword(pw)
	}
	fmt.Fprintf(env.stderr, "New password for %s: ", user)
	pw, err := readSecretLine(fd, r)
	fmt.Fprintln(env.stderr)
	if err != nil {
		return "", err
	}
	if err := account.ValidatePassword(pw); err != nil {
		return "", err
	}
	fmt.Fprint(env.stderr, "Repeat it: ")
	again, err := readSecretLine(fd, r)
	fmt.Fprintln(env.stderr)
	if err != nil {
		return "", err
	}
	if again != pw {
		return "", errors.New("the passwords do not match")
	}
	return pw, nil
}

func userCreate(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	admin := fs.Bool("admin", false, "the user administers everything")
	pos, _, err := parseFlags(fs, args, 1)
	if err != nil {
		return err
	}
	name := pos[0]
	// The name before the database and the password prompt: the same rule
	// and words as the panel's user form (account.ValidateName).
	if err := account.ValidateName(name); err != nil {
		return err
	}
	return withApp(ctx, env, func(a *app) error {
		if _, err := a.store.UserByName(ctx, name); err == nil {
			return account.Taken(name)
		}
		pw, err := readPassword(env, a.cfg.AdminPassword, name)
		if err != nil {
			return err
		}
		if _, err := account.Create(ctx, a.store, auth.NewHasher(1, 0), name, pw, *admin); err != nil {
			return err
		}
		kind := "user"
		if *admin {
			kind = "admin"
		}
		fmt.Fprintf(env.stdout, "created %s %s\n", kind, name)
		return nil
	})
}

// userPasswd sets an account's password and ends its sessions. Its API
// tokens are revoked too unless --revoke-tokens=false: the same default as
// the panel's password form, since a password is mostly changed because
// someone else may know it, and they may have made a token with it.
func userPasswd(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	revoke := fs.Bool("revoke-tokens", true, "also revoke all the account's API tokens (=false keeps them)")
	pos, _, err := parseFlags(fs, args, 1)
	if err != nil {
		return err
	}
	return withApp(ctx, env, func(a *app) error {
		u, err := a.store.UserByName(ctx, pos[0])
		if err != nil {
			return userErr(pos[0], err)
		}
		pw, err := readPassword(env, a.cfg.AdminPassword, u.Name)
		if err != nil {
			return err
		}
		hash, err := auth.HashPassword(pw)
		if err != nil {
			return err
		}
		n, err := a.store.ChangePassword(ctx, u.ID, hash, *revoke)
		if err != nil {
			return err
		}
		if *revoke {
			fmt.Fprintf(env.stdout, "password of %s changed; their sessions were ended and %d API token(s) revoked\n", u.Name, n)
		} else {
			fmt.Fprintf(env.stdout, "password of %s changed; their sessions were ended, their API tokens kept\n", u.Name)
		}
		return nil
	})
}

func userErr(name string, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no user %q", name)
	}
	return err
}

func userDelete(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	pos, _, err := parseFlags(fs, args, 1)
	if err != nil {
		return err
	}
	return withApp(ctx, env, func(a *app) error {
		u, err := a.store.UserByName(ctx, pos[0])
		if err != nil {
			return userErr(pos[0], err)
		}
		if err := a.store.DeleteUser(ctx, u.ID); err != nil {
			if errors.Is(err, store.ErrUserOwnsInstances) {
				owned, _ := a.store.InstancesByOwner(ctx, u.ID)
				var names []string
				for _, in := range owned {
					names = append(names, in.Name)
				}
				return fmt.Errorf("user %q still owns instances (%s): delete them first", u.Name, strings.Join(names, ", "))
			}
			return err
		}
		fmt.Fprintf(env.stdout, "deleted user %s\n", u.Name)
		return nil
	})
}

// userUpdate sets an account's limits; a flag not given keeps that limit.
// The values read as on the panel's accounts page (instance.ParseLimit).
func userUpdate(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	maxInstances := fs.String("max-instances", "", "how many instances the account may own: a number, unlimited, or default")
	maxRunning := fs.String("max-running", "", "how many of its instances may run at once: a number, unlimited, or default")
	mayCreate := fs.String("may-create", "", "whether the account may create instances in the panel and API: on or off")
	pos, _, err := parseFlags(fs, args, 1)
	if err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if len(set) == 0 {
		fs.Usage()
		return fmt.Errorf("%w: give --max-instances or --max-running, or --may-create", errUsage)
	}
	var may bool
	if set["may-create"] {
		if may, err = roles.ParseSwitch(roles.FieldMayCreate, *mayCreate); err != nil {
			return err
		}
	}
	var parsed store.Limits
	if set["max-instances"] {
		if parsed.MaxInstances, err = instance.ParseLimit(instance.FieldMaxInstances, *maxInstances); err != nil {
			return err
		}
	}
	if set["max-running"] {
		if parsed.MaxRunning, err = instance.ParseLimit(instance.FieldMaxRunning, *maxRunning); err != nil {
			return err
		}
	}
	return withApp(ctx, env, func(a *app) error {
		u, err := a.store.UserByName(ctx, pos[0])
		if err != nil {
			return userErr(pos[0], err)
		}
		l := u.Limits
		if set["max-instances"] {
			l.MaxInstances = parsed.MaxInstances
		}
		if set["max-running"] {
			l.MaxRunning = parsed.MaxRunning
		}
		if set["max-instances"] || set["max-running"] {
			if err := a.store.SetLimits(ctx, u.ID, l); err != nil {
				return err
			}
		}
		if set["may-create"] {
			if err := a.store.SetMayCreate(ctx, u.ID, may); err != nil {
				return err
			}
			u.MayCreate = may
		}
		u.Limits = l
		eff := instance.LimitsOf(u)
		fmt.Fprintf(env.stdout, "limits of %s: max instances %s, max running %s; may create instances: %s\n", u.Name,
			instance.LimitText(l.MaxInstances, eff.Instances), instance.LimitText(l.MaxRunning, eff.Running), mayCreateText(u))
		return nil
	})
}

// mayCreateText is the account permission as the CLI prints it.
func mayCreateText(u store.User) string {
	switch {
	case u.IsAdmin:
		return "yes (administrator)"
	case u.MayCreate:
		return "yes"
	}
	return "no"
}

func userList(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	asJSON := fs.Bool("json", false, "print JSON")
	if _, _, err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	return withApp(ctx, env, func(a *app) error {
		users, err := a.store.ListUsers(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			out := []views.User{}
			for _, u := range users {
				out = append(out, views.NewUser(u))
			}
			return writeJSON(env.stdout, out)
		}
		tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tADMIN\tMAX INSTANCES\tMAX RUNNING\tMAY CREATE\tCREATED")
		for _, u := range users {
			l := instance.LimitsOf(u)
			fmt.Fprintf(tw, "%s\t%v\t%s\t%s\t%s\t%s\n", u.Name, u.IsAdmin, instance.LimitText(u.Limits.MaxInstances, l.Instances),
				instance.LimitText(u.Limits.MaxRunning, l.Running), mayCreateText(u), u.CreatedAt.Format(time.RFC3339))
		}
		return tw.Flush()
	})
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

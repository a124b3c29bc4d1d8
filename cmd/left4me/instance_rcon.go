package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/rcon"
	"github.com/left4me/left4me/internal/srcds"
)

// rconTimeout bounds one console command from the CLI, as the panel's.
const rconTimeout = 5 * time.Second

// instanceRCON sends one console command to a running instance under the
// panel's policy (internal/rcon: one line, secrets kept out of the history)
// and prints the reply. The words after NAME are the command; put a
// command with words starting with '-' after --.
func instanceRCON(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	pos, rest, err := parseFlags(fs, args, oneOrMore)
	if err != nil {
		return err
	}
	name, words := pos[0], append(pos[1:], rest...)
	if len(words) == 0 {
		fs.Usage()
		return fmt.Errorf("%w: no command given", errUsage)
	}
	if p, err := env.panel(ctx); err != nil {
		return err
	} else if p.ownsServers() {
		// The running panel's console (its servers are its children):
		// the same policy and history.
		reply, err := p.RCON(ctx, name, strings.Join(words, " "))
		if err != nil {
			return err
		}
		fmt.Fprint(env.stdout, reply)
		if reply != "" && !strings.HasSuffix(reply, "\n") {
			fmt.Fprintln(env.stdout)
		}
		return nil
	}
	return withApp(ctx, env, func(a *app) error {
		in, err := a.svc.Get(ctx, name)
		if err != nil {
			return err
		}
		// The CLI sends as the system (no user) over one connection of its own.
		e, err := rcon.New(rconOnce{}, a.svc, a.store, a.cfg.RCONPolicy).WithNotifier(a.notify).Send(ctx, in, rcon.User{MaySeeSecrets: true}, strings.Join(words, " "))
		switch {
		case errors.Is(err, rcon.ErrInvalid):
			return fmt.Errorf("command: %w", err)
		case err != nil && !errors.Is(err, rcon.ErrNoReply):
			return err
		}
		fmt.Fprint(env.stdout, e.Response)
		if e.Response != "" && !strings.HasSuffix(e.Response, "\n") {
			fmt.Fprintln(env.stdout)
		}
		return err
	})
}

// rconOnce sends each command over a new RCON connection on loopback
// (docs/srcds.md §8), closed after the reply.
type rconOnce struct{}

func (rconOnce) Exec(ctx context.Context, in instance.Instance, command string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, rconTimeout)
	defer cancel()
	sess := srcds.NewSession(net.JoinHostPort("127.0.0.1", strconv.Itoa(in.ServerPort())), in.RCONPassword)
	defer sess.Close()
	out, err := sess.Exec(ctx, command, srcds.Idempotent(command))
	if err != nil {
		return "", fmt.Errorf("send to %s: %w", in.Name, err)
	}
	return out, nil
}

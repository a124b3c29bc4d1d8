package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/left4me/left4me/internal/layout"
)

// maxSocketPath is the longest path a Unix socket may have (sun_path,
// including its terminating NUL).
const maxSocketPath = 107

// listenPanelSocket listens on the state root's panel socket, in a
// directory only this user may enter, after removing a socket a dead panel
// left. It refuses when another panel answers there: two panels on one
// state root would each run servers the other does not know. A path too
// long for a socket is no error: the CLI then works on the database alone.
func listenPanelSocket(root layout.Root, lg *slog.Logger) (net.Listener, error) {
	path := root.PanelSocket()
	if len(path) > maxSocketPath {
		lg.Warn("state root path too long for the panel's local socket; the CLI will not see this panel's servers", "socket", path)
		return nil, nil
	}
	if err := os.MkdirAll(root.PanelDir(), 0o700); err != nil {
		return nil, fmt.Errorf("create the panel's socket directory: %w", err)
	}
	if err := os.Chmod(root.PanelDir(), 0o700); err != nil {
		return nil, fmt.Errorf("restrict the panel's socket directory: %w", err)
	}
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return nil, fmt.Errorf("another panel (left4me serve or demo) is running for the state root %s (it answers on %s): stop it first, or use another state root", root, path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("remove the stale panel socket: %w", err)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("listen on the panel socket %s: %w", path, err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(true)
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("restrict the panel socket: %w", err)
	}
	return peerCheckListener{ln.(*net.UnixListener)}, nil
}

// peerCheckListener accepts only connections from this user or root
// (SO_PEERCRED), on top of the socket's owner-only directory.
type peerCheckListener struct{ *net.UnixListener }

func (l peerCheckListener) Accept() (net.Conn, error) {
	for {
		c, err := l.AcceptUnix()
		if err != nil {
			return nil, err
		}
		if peerAllowed(c) {
			return c, nil
		}
		c.Close()
	}
}

// peerAllowed reports whether the process at the other end of c runs as
// this process's user or as root.
func peerAllowed(c *net.UnixConn) bool {
	raw, err := c.SyscallConn()
	if err != nil {
		return false
	}
	var cred *unix.Ucred
	var cerr error
	if err := raw.Control(func(fd uintptr) {
		cred, cerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil || cerr != nil {
		return false
	}
	return cred.Uid == 0 || int(cred.Uid) == os.Getuid()
}

// localSocketPart serves h (the panel's LocalHandler) on ln until ctx ends.
func localSocketPart(h http.Handler, ln net.Listener, lg *slog.Logger) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		base, cancelBase := context.WithCancel(context.WithoutCancel(ctx))
		defer cancelBase()
		hs := &http.Server{
			Handler:           h,
			ReadHeaderTimeout: 10 * time.Second,
			BaseContext:       func(net.Listener) context.Context { return base },
			ErrorLog:          slog.NewLogLogger(lg.Handler(), slog.LevelWarn),
		}
		hs.RegisterOnShutdown(cancelBase)
		serveErr := make(chan error, 1)
		go func() { serveErr <- hs.Serve(ln) }()
		select {
		case err := <-serveErr:
			return fmt.Errorf("serve the panel socket: %w", err)
		case <-ctx.Done():
		}
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
		defer cancel()
		if err := hs.Shutdown(sctx); err != nil {
			return fmt.Errorf("shut down the panel socket: %w", err)
		}
		return nil
	}
}

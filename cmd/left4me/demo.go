package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/left4me/left4me/internal/auth"
	"github.com/left4me/left4me/internal/events"
	"github.com/left4me/left4me/internal/fakesrcds"
	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/process"
	"github.com/left4me/left4me/internal/store"
)

// demoGeneration names the stand-in installation the demo writes. It sorts
// before every generation an install publishes ("000001-…"), so that the
// demo's Install / update can publish newer ones (docs/lifecycle.md rule
// 12: names sort in creation order).
const demoGeneration = "000000-demo"

// demoInstances are the two instances the demo creates; the first is started.
var demoInstances = []instance.Spec{
	{
		Name:   "coop",
		Layers: []string{"example"},
		Args:   []string{"+map", "c1m1_hotel", "+maxplayers", "8", "-fakeplayers", "4", "-fakebots", "2", "+fakesrcds_chat_interval", "20"},
		ServerCfg: `hostname "left4me demo: coop"
exec example.cfg
sv_region 3
`,
	},
	{
		Name:      "versus",
		Args:      []string{"+map", "c5m1_waterfront", "+maxplayers", "8", "-fakeplayers", "6"},
		ServerCfg: "hostname \"left4me demo: versus\"\nmp_gamemode versus\n",
	},
}

// runDemo runs a self-contained panel: a state root under ./left4me-demo, a
// stand-in installation running fakesrcds, an example layer, an admin
// account and two instances (one started) served by the process supervisor.
// Running it again reuses the directory and gives admin a new password.
func runDemo(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	dir := fs.String("dir", "left4me-demo", "state root of the demo (created when missing)")
	listen := fs.String("listen", DefaultListen, "address to listen on; a free port is picked when it is busy")
	verbose := fs.Bool("v", false, "log every request")
	if _, _, err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	abs, err := filepath.Abs(*dir)
	if err != nil {
		return err
	}
	root, err := layout.New(abs)
	if err != nil {
		return err
	}
	// NOTE: docs/lifecycle.md rule 1 — the demo mounts only through the process
	// supervisor, with the same overlay code as the unit's helper. Say in one
	// line why that cannot work here before creating anything.
	if err := process.CanMount(); err != nil {
		return err
	}
	if err := root.Create(0o755); err != nil {
		return err
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	lg := slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: level}))
	cfg, fakesrcdsBin, err := demoConfig(env, root)
	if err != nil {
		return err
	}
	cfg.Logger = lg
	fmt.Fprintf(env.stdout, "Preparing the demo in %s ...\n", root)
	bin, err := demoFakesrcds(fakesrcdsBin)
	if err != nil {
		return err
	}
	if err := writeDemoContent(root, bin); err != nil {
		return err
	}
	if err := useDemoSteamCmd(ctx, env, &cfg, bin); err != nil {
		return err
	}
	if bind, addr, err := demoLogListener(); err != nil {
		fmt.Fprintf(env.stdout, "The events feed is off: %v\n", err)
	} else {
		cfg.LogListenerBind, cfg.LogListenerAddr = bind, addr
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		*listen = "127.0.0.1:0"
	} else {
		ln.Close()
	}
	var password string
	setup := func(ctx context.Context, a *app) error {
		var err error
		password, err = seedDemo(ctx, a)
		return err
	}
	ready := func(url string) {
		fmt.Fprintf(env.stdout, "\nleft4me demo is running at %s\n", url)
		fmt.Fprintf(env.stdout, "  log in as:  admin\n  password:   %s\n", password)
		fmt.Fprintf(env.stdout, "  instances:  coop (running, simulated players) and versus (stopped)\n")
		fmt.Fprintf(env.stdout, "  the CLI:    %s\n", demoCLILine(root))
		if cfg.SteamCmdNote != "" {
			fmt.Fprintf(env.stdout, "  install:    Install / update runs the stand-in steamcmd (fakesteamcmd), offline\n")
		}
		fmt.Fprintf(env.stdout, "Press Ctrl-C to stop the panel and its servers.\n")
	}
	return servePanel(ctx, cfg, panelOptions{Listen: *listen, Ready: ready, Stderr: env.stderr}, setup)
}

// demoFakesrcds returns the stand-in server binary: the one given
// ($LEFT4ME_FAKESRCDS), else this binary itself, which runs the stand-in
// when started as srcds_linux (embedded.go). So the demo needs neither a
// second program nor a Go toolchain, and `go run` works the same way.
func demoFakesrcds(given string) (string, error) {
	if given != "" {
		return given, nil
	}
	self, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find this program to run as the stand-in server (or set %s): %w", envFakesrcds, err)
	}
	return self, nil
}

// writeDemoContent writes the stand-in installation and the example layer.
// Nothing of the demo runs yet, so no mounted lower layer changes (rule 12).
func writeDemoContent(root layout.Root, bin string) error {
	if err := fakesrcds.WriteInstallation(root.Installation(demoGeneration), bin); err != nil {
		return err
	}
	layer := root.Overlay("example", "1")
	files := map[string]string{
		"left4dead2/cfg/example.cfg": "// From the example content layer: stacked above the installation.\nsv_allow_lobby_connect_only 0\nsv_consistency 1\nmp_gamemode coop\n",
		"left4dead2/motd.txt":        "Welcome to a left4me demo server. This file comes from the example layer.\n",
	}
	for name, text := range files {
		p := filepath.Join(layer, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("write example layer: %w", err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			return fmt.Errorf("write example layer: %w", err)
		}
	}
	return nil
}

// demoLogListener picks a free UDP port for the events listener and the
// non-loopback address servers must send their logs to.
func demoLogListener() (bind, addr string, err error) {
	pc, err := net.ListenPacket("udp4", "0.0.0.0:0")
	if err != nil {
		return "", "", err
	}
	port := pc.LocalAddr().(*net.UDPAddr).Port
	pc.Close()
	ap := netip.AddrPortFrom(netip.IPv4Unspecified(), uint16(port))
	announced, err := events.AnnounceAddr(ap)
	if err != nil {
		return "", "", err
	}
	return ap.String(), announced.String(), nil
}

// seedDemo creates (or reuses) the admin account with a fresh password and
// the demo instances, and starts the first one.
func seedDemo(ctx context.Context, a *app) (string, error) {
	secret, err := auth.NewSecret()
	if err != nil {
		return "", err
	}
	password := strings.NewReplacer("-", "x", "_", "y").Replace(secret[:16])
	hash, err := auth.HashPassword(password)
	if err != nil {
		return "", err
	}
	admin, err := a.store.UserByName(ctx, "admin")
	switch {
	case errors.Is(err, store.ErrNotFound):
		admin, err = a.store.CreateUser(ctx, "admin", hash, true)
	case err == nil:
		err = a.store.SetPassword(ctx, admin.ID, hash)
	}
	if err != nil {
		return "", fmt.Errorf("demo admin account: %w", err)
	}
	for i, spec := range demoInstances {
		spec.OwnerID = admin.ID
		if _, err := a.svc.Get(ctx, spec.Name); errors.Is(err, instance.ErrNotFound) {
			if _, err := a.svc.Create(ctx, spec); err != nil {
				return "", fmt.Errorf("demo instance %s: %w", spec.Name, err)
			}
		} else if err != nil {
			return "", err
		}
		if i == 0 {
			if err := a.svc.Start(ctx, spec.Name); err != nil {
				return "", fmt.Errorf("start demo instance %s: %w", spec.Name, err)
			}
		}
	}
	return password, nil
}

// demoCLILine is the command line that points the CLI at the demo: its
// state root, and this binary (or go run, for a binary go run built). The
// CLI then asks the demo's panel, over its socket, about the servers the
// demo runs.
func demoCLILine(root layout.Root) string {
	self := "go run ./cmd/left4me"
	if exe, err := os.Executable(); err == nil && !strings.Contains(exe, "/go-build") {
		self = shellQuote(exe)
	}
	return layout.RootEnv + "=" + shellQuote(root.String()) + " " + self + " instance list"
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+=:@,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

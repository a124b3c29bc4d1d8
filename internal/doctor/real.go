package doctor

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
)

// NewReal returns a Doctor that asks this machine. Close releases its bus
// connection.
func NewReal(cfg Config) *Doctor {
	return &Doctor{
		Config:   cfg,
		Identity: LookupIdentity(),
		Units:    &BusUnits{},
		Cmd:      ExecRunner{},
		Mounter:  OverlayTestMounter{},
		Sockets:  ProcSockets{},
		Reflink:  FileReflinker{},
		HTTP:     &http.Client{Timeout: 5 * time.Second},
	}
}

// Close releases what the real implementations hold.
func (d *Doctor) Close() error {
	if b, ok := d.Units.(*BusUnits); ok {
		b.Close()
	}
	return nil
}

// LookupIdentity returns the running user and the service user's account.
func LookupIdentity() Identity {
	id := Identity{EUID: os.Geteuid()}
	id.Service, id.ServiceErr = lookupAccount(ServiceUser)
	return id
}

func lookupAccount(name string) (Account, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return Account{}, fmt.Errorf("user %s does not exist: %w", name, err)
	}
	a := Account{Name: name, Home: u.HomeDir}
	if a.UID, err = strconv.Atoi(u.Uid); err != nil {
		return Account{}, fmt.Errorf("user %s: uid %q: %w", name, u.Uid, err)
	}
	if a.GID, err = strconv.Atoi(u.Gid); err != nil {
		return Account{}, fmt.Errorf("user %s: gid %q: %w", name, u.Gid, err)
	}
	if gids, err := u.GroupIds(); err == nil {
		for _, g := range gids {
			if n, err := strconv.Atoi(g); err == nil {
				a.Groups = append(a.Groups, n)
			}
		}
	}
	return a, nil
}

// ExecRunner is the real CommandRunner.
type ExecRunner struct{}

// Run implements CommandRunner.
func (ExecRunner) Run(ctx context.Context, as *Account, argv ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.WaitDelay = time.Second
	cmd.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8",
		"SYSTEMD_PAGER=", "SYSTEMD_COLORS=0"}
	cmd.Dir = "/"
	if as != nil {
		groups := make([]uint32, 0, len(as.Groups))
		for _, g := range as.Groups {
			groups = append(groups, uint32(g))
		}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(as.UID), Gid: uint32(as.GID), Groups: groups}}
		cmd.Env = append(cmd.Env, "HOME="+as.Home, "USER="+as.Name, "LOGNAME="+as.Name)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s: %w", strings.Join(argv, " "), err)
	}
	return string(out), nil
}

// BusUnits is the real UnitReader over the system bus. It connects on
// first use.
type BusUnits struct {
	mu   sync.Mutex
	conn *sddbus.Conn
}

func (b *BusUnits) connection(ctx context.Context) (*sddbus.Conn, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.conn != nil && b.conn.Connected() {
		return b.conn, nil
	}
	c, err := sddbus.NewSystemConnectionContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("connect to systemd over the system bus: %w", err)
	}
	b.conn = c
	return c, nil
}

// Close closes the connection, if any.
func (b *BusUnits) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.conn != nil {
		b.conn.Close()
		b.conn = nil
	}
}

// UnitProps implements UnitReader.
func (b *BusUnits) UnitProps(ctx context.Context, unit string) (map[string]any, error) {
	c, err := b.connection(ctx)
	if err != nil {
		return nil, err
	}
	p, err := c.GetUnitPropertiesContext(ctx, unit)
	if err != nil {
		return nil, fmt.Errorf("properties of %s: %w", unit, err)
	}
	return p, nil
}

// ServiceProps implements UnitReader.
func (b *BusUnits) ServiceProps(ctx context.Context, unit string) (map[string]any, error) {
	c, err := b.connection(ctx)
	if err != nil {
		return nil, err
	}
	p, err := c.GetUnitTypePropertiesContext(ctx, unit, "Service")
	if err != nil {
		return nil, fmt.Errorf("service properties of %s: %w", unit, err)
	}
	return p, nil
}

// Manager implements UnitReader.
func (b *BusUnits) Manager(ctx context.Context) (string, string, error) {
	c, err := b.connection(ctx)
	if err != nil {
		return "", "", err
	}
	var vals [2]string
	for i, name := range []string{"Version", "Features"} {
		v, err := c.GetManagerProperty(name)
		if err != nil {
			return "", "", fmt.Errorf("systemd's %s: %w", name, err)
		}
		if s, err := strconv.Unquote(v); err == nil {
			v = s
		}
		vals[i] = v
	}
	return vals[0], vals[1], nil
}

// ActiveUnits implements UnitReader.
func (b *BusUnits) ActiveUnits(ctx context.Context, pattern string) ([]string, error) {
	c, err := b.connection(ctx)
	if err != nil {
		return nil, err
	}
	list, err := c.ListUnitsByPatternsContext(ctx, []string{"active", "activating", "reloading", "deactivating"}, []string{pattern})
	if err != nil {
		return nil, fmt.Errorf("list units %s: %w", pattern, err)
	}
	out := make([]string, 0, len(list))
	for _, u := range list {
		out = append(out, u.Name)
	}
	return out, nil
}

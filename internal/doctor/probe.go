package doctor

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/overlay"
	"github.com/left4me/left4me/internal/srcds"
)

// ProbeInstances is what the probe needs of the instance service (the one
// the CLI uses).
type ProbeInstances interface {
	Create(ctx context.Context, spec instance.Spec) (instance.Instance, error)
	Start(ctx context.Context, name string) error
	Stop(ctx context.Context, name string) error
	Delete(ctx context.Context, name string) error
	Status(ctx context.Context, name string) (instance.Status, error)
}

// Probe starts a temporary instance on the real installation and checks it
// from outside, as a player and the panel would reach it; then deletes it.
type Probe struct {
	Instances ProbeInstances
	Logs      instance.LogReader
	Root      layout.Root
	// OwnerID owns the temporary instance (an existing account).
	OwnerID int64
	// Host is the host's non-loopback address: the real server answers
	// A2S only there (docs/srcds.md §8), and the UDP log listener is
	// announced on it.
	Host netip.Addr
	// Args are extra srcds arguments (the first map).
	Args []string
	// Wait bounds each wait for the server (A2S answers, RCON, log lines);
	// zero is 90 s, a real chapter load takes 10-30 s.
	Wait time.Duration
	// Mounted reports whether an overlay of the instance is mounted; nil
	// reads /proc/self/mountinfo.
	Mounted func(name string) (bool, error)
	// Query and Dial reach the server; nil are srcds.Query and srcds.Dial.
	Query func(ctx context.Context, addr string) (srcds.Info, []srcds.Player, error)
	Dial  func(ctx context.Context, addr, password string) (*srcds.RCON, error)
	// Name is the temporary instance's name; "" is doctor-probe-XXXX.
	Name string
}

// ProbeNames lists the probe's result names in order.
var ProbeNames = []string{"probe-create", "probe-start", "probe-a2s", "probe-rcon", "probe-journal", "probe-udp-log", "probe-stop", "probe-unmount", "probe-delete"}

// ProbeArgs are the srcds arguments of the temporary instance: the real
// server loads no map (and answers no A2S) without one.
var ProbeArgs = []string{"+map", "c1m1_hotel"}

func (p *Probe) wait() time.Duration {
	if p.Wait == 0 {
		return 90 * time.Second
	}
	return p.Wait
}

// Run runs the probe. The instance is deleted whatever happens once it was
// created, with a context of its own so that an interrupt still cleans up.
func (p *Probe) Run(ctx context.Context) (results []Result) {
	if p.Query == nil {
		p.Query = srcds.Query
	}
	if p.Dial == nil {
		p.Dial = srcds.Dial
	}
	if p.Mounted == nil {
		p.Mounted = mountedFromMountinfo
	}
	name := p.Name
	if name == "" {
		var b [2]byte
		_, _ = rand.Read(b[:])
		name = "doctor-probe-" + hex.EncodeToString(b[:])
	}
	var tb [6]byte
	_, _ = rand.Read(tb[:])
	token := "left4me-doctor-" + hex.EncodeToString(tb[:])
	add := func(r Result) { results = append(results, r) }

	if !p.Host.IsValid() || p.Host.IsLoopback() || p.Host.IsUnspecified() {
		add(fail("probe-create", fmt.Sprintf("no usable host address (%v): the server is queried on a non-loopback address", p.Host), "set LEFT4ME_QUERY_HOST to an address of this host"))
		return results
	}
	// The listener first, so that no log line is missed.
	logs, closeLogs, lerr := listenLogs(ctx, p.Host, token)
	if closeLogs != nil {
		defer closeLogs()
	}

	cfg := "hostname \"left4me doctor probe\"\necho " + token + "\n"
	in, err := p.Instances.Create(ctx, instance.Spec{Name: name, OwnerID: p.OwnerID, Args: p.Args, ServerCfg: cfg})
	if err != nil {
		add(fail("probe-create", fmt.Sprintf("create %s: %v", name, err), "see the error; nothing was created"))
		return results
	}
	add(ok("probe-create", fmt.Sprintf("created %s on port %d", name, in.Port)))
	deleted := false
	defer func() {
		if deleted {
			return
		}
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer cancel()
		results = append(results, p.delete(dctx, name))
	}()

	if err := p.Instances.Start(ctx, name); err != nil {
		add(fail("probe-start", fmt.Sprintf("start %s: %v%s", name, err, p.lastLines(ctx, name)), "journalctl --namespace=left4me -u left4me-server@"+name+".service"))
		return results
	}
	add(ok("probe-start", "left4me-server@"+name+".service started"))

	addr := netip.AddrPortFrom(p.Host, uint16(in.Port)).String()
	var info srcds.Info
	err = p.retry(ctx, func(ctx context.Context) error {
		var err error
		info, _, err = p.Query(ctx, addr)
		return err
	})
	if err != nil {
		add(fail("probe-a2s", fmt.Sprintf("no A2S_INFO answer from %s within %s: %v%s", addr, p.wait(), err, p.lastLines(ctx, name)),
			"check the server's console (left4me instance logs "+name+") and that nothing filters UDP "+strconv.Itoa(in.Port)+" on "+p.Host.String()))
	} else {
		add(ok("probe-a2s", fmt.Sprintf("%s answers A2S_INFO: %q on %s, %d/%d players", addr, info.Name, info.Map, info.Players, info.MaxPlayers)))
	}

	var rc *srcds.RCON
	var status string
	err = p.retry(ctx, func(ctx context.Context) error {
		c, err := p.Dial(ctx, addr, in.RCONPassword)
		if err != nil {
			return err
		}
		out, err := c.Exec(ctx, "status")
		if err != nil {
			c.Close()
			return err
		}
		rc, status = c, out
		return nil
	})
	if err != nil {
		add(fail("probe-rcon", fmt.Sprintf("RCON on %s: %v", addr, err), "check the server's console (left4me instance logs "+name+")"))
	} else {
		first := strings.TrimSpace(status)
		if i := strings.IndexByte(first, '\n'); i >= 0 {
			first = first[:i]
		}
		add(ok("probe-rcon", fmt.Sprintf("RCON on %s answers status: %s", addr, first)))
	}

	// A console line: the cfg's echo at start, and "say" (printed as
	// "Console: ..." and logged) once RCON works (unverified for the real
	// server's say line).
	var sayErr error
	if rc != nil {
		if lerr == nil {
			sayErr = rc.AddLogAddress(ctx, logs.addr)
		}
		if _, err := rc.Exec(ctx, "say "+token); err != nil && sayErr == nil {
			sayErr = err
		}
	}
	var line string
	err = p.retry(ctx, func(ctx context.Context) error {
		lines, err := p.Logs.Tail(ctx, name, 500)
		if err != nil {
			return err
		}
		for _, l := range lines {
			if strings.Contains(l, token) {
				line = l
				return nil
			}
		}
		return fmt.Errorf("no line with %s among the last %d", token, len(lines))
	})
	if err != nil {
		add(fail("probe-journal", fmt.Sprintf("the console line did not reach the journal: %v", err), "check LogNamespace= of left4me-server@.service and journald@left4me (journalctl --namespace=left4me)"))
	} else {
		add(ok("probe-journal", "console line in the journal: "+strings.TrimSpace(line)))
	}

	// UDP logs to a non-loopback address are unverified for L4D2
	// (docs/srcds.md §8): a missing line is a warning, and the events
	// feed falls back to the console log.
	const udpName = "probe-udp-log"
	udpFix := "nothing to do if the events feed works from the console log; else check that LOG_LISTENER_ADDR is reachable from the server"
	switch {
	case lerr != nil:
		add(warn(udpName, fmt.Sprintf("could not open a UDP log listener on %s: %v", p.Host, lerr), udpFix))
	case rc == nil:
		add(warn(udpName, "not tried: RCON did not answer, so no log address was added", udpFix))
	case sayErr != nil:
		add(warn(udpName, fmt.Sprintf("logaddress_add %s / say: %v", logs.addr, sayErr), udpFix))
	default:
		if l := waitLogLine(ctx, logs.lines, token, min(p.wait(), 15*time.Second)); l != "" {
			add(ok(udpName, fmt.Sprintf("a UDP log line reached %s: %s", logs.addr, l)))
		} else {
			add(warn(udpName, fmt.Sprintf("no UDP log line reached %s (unverified behaviour of the real server)", logs.addr), udpFix))
		}
	}
	if rc != nil {
		rc.Close()
	}

	if err := p.Instances.Stop(ctx, name); err != nil {
		add(fail("probe-stop", fmt.Sprintf("stop %s: %v%s", name, err, p.lastLines(ctx, name)), "journalctl -u left4me-server@"+name+".service"))
	} else if st, err := p.Instances.Status(ctx, name); err != nil {
		add(fail("probe-stop", fmt.Sprintf("status after stop: %v", err), "journalctl -u left4me-server@"+name+".service"))
	} else if st.State != instance.Stopped {
		add(fail("probe-stop", fmt.Sprintf("the unit is %s after the stop, not stopped%s", st.State, p.lastLines(ctx, name)), "journalctl -u left4me-server@"+name+".service (ExecStopPost runs the unmount)"))
	} else {
		add(ok("probe-stop", "the unit stopped cleanly"))
	}
	if m, err := p.Mounted(name); err != nil {
		add(fail("probe-unmount", fmt.Sprintf("read the mount table: %v", err), "run the doctor on the host"))
	} else if m {
		add(fail("probe-unmount", "the overlay of "+name+" is still mounted after the stop", "a process outside the unit holds its mount namespace: see ExecStopPost in journalctl -u left4me-server@"+name+".service, end that process, then stop the instance again"))
	} else {
		add(ok("probe-unmount", "the overlay is unmounted"))
	}
	deleted = true
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	add(p.delete(dctx, name))
	return results
}

// delete removes the instance and checks that nothing of it is left.
func (p *Probe) delete(ctx context.Context, name string) Result {
	fix := "left4me instance delete " + name + " --yes"
	if err := p.Instances.Delete(ctx, name); err != nil {
		return fail("probe-delete", fmt.Sprintf("delete %s: %v", name, err), fix)
	}
	var left []string
	for _, dir := range []string{p.Root.Instance(name), p.Root.Runtime(name)} {
		if _, err := os.Lstat(dir); !errors.Is(err, os.ErrNotExist) {
			left = append(left, dir)
		}
	}
	if m, err := p.Mounted(name); err == nil && m {
		left = append(left, "a mount of "+p.Root.Merged(name))
	}
	if len(left) > 0 {
		return fail("probe-delete", "deleted, but left behind: "+strings.Join(left, ", "), fix)
	}
	return ok("probe-delete", "deleted "+name+"; nothing left behind")
}

// retry calls f until it succeeds, ctx ends or Wait has passed, giving
// each try at most 3 s; it returns the last error.
func (p *Probe) retry(ctx context.Context, f func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, p.wait())
	defer cancel()
	var last error
	for {
		tctx, tcancel := context.WithTimeout(ctx, 3*time.Second)
		err := f(tctx)
		tcancel()
		if err == nil {
			return nil
		}
		last = err
		select {
		case <-ctx.Done():
			return last
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// lastLines returns the instance's last console lines for an error.
func (p *Probe) lastLines(ctx context.Context, name string) string {
	if p.Logs == nil {
		return ""
	}
	lines, err := p.Logs.Tail(ctx, name, 5)
	if err != nil || len(lines) == 0 {
		return ""
	}
	return "; last console lines: " + strings.Join(lines, " | ")
}

// waitLogLine returns the first log line with token, or, when only other
// lines came within wait (another line proves the path too), the first of
// them; "" when none came.
func waitLogLine(ctx context.Context, lines <-chan string, token string, wait time.Duration) string {
	timeout := time.NewTimer(wait)
	defer timeout.Stop()
	first := ""
	for {
		select {
		case l := <-lines:
			if strings.Contains(l, token) {
				return l
			}
			if first == "" {
				first = l
				// Some line arrived: give the token's line a little longer.
				timeout.Reset(min(wait, 5*time.Second))
			}
		case <-timeout.C:
			return first
		case <-ctx.Done():
			return first
		}
	}
}

// logLines receives the probe's UDP log lines.
type logLines struct {
	addr  netip.AddrPort
	lines chan string
}

// listenLogs opens a UDP log listener on host (a free port) that passes
// every log line it receives.
func listenLogs(ctx context.Context, host netip.Addr, token string) (*logLines, func(), error) {
	out := &logLines{lines: make(chan string, 64)}
	l, err := srcds.ListenLog(netip.AddrPortFrom(host, 0).String(), srcds.LogListenerConfig{
		Resolve: func(netip.AddrPort) (srcds.LogSource, bool) { return srcds.LogSource{Instance: "probe"}, true },
		Handle: func(_ string, ev srcds.Event) {
			select {
			case out.lines <- strings.TrimSpace(ev.Message):
			default:
			}
		},
	})
	if err != nil {
		return nil, nil, err
	}
	out.addr = l.Addr()
	lctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = l.Run(lctx)
	}()
	return out, func() { cancel(); <-done }, nil
}

// mountedFromMountinfo reports whether an overlay of the instance is
// mounted in any mount namespace the doctor can read: the helper mounts it
// in the unit's own namespace only (docs/lifecycle.md rule 2), so after a
// stop no process may have it in its mount table. One table is read per
// namespace.
func mountedFromMountinfo(name string) (bool, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return false, fmt.Errorf("list processes: %w", err)
	}
	seen := map[string]bool{}
	for _, e := range entries {
		pid := e.Name()
		if pid == "" || pid[0] < '1' || pid[0] > '9' {
			continue
		}
		ns, err := os.Readlink("/proc/" + pid + "/ns/mnt")
		if err != nil || seen[ns] {
			continue
		}
		seen[ns] = true
		f, err := os.Open("/proc/" + pid + "/mountinfo")
		if err != nil {
			continue
		}
		found, err := mountinfoHas(bufio.NewScanner(f), overlay.MountSource(name))
		f.Close()
		if err == nil && found {
			return true, nil
		}
	}
	return false, nil
}

// mountinfoHas reports whether a mountinfo line has source as its mount
// source (the field after the " - fstype" separator).
func mountinfoHas(sc *bufio.Scanner, source string) (bool, error) {
	for sc.Scan() {
		_, post, found := strings.Cut(sc.Text(), " - ")
		if !found {
			continue
		}
		f := strings.Fields(post)
		if len(f) >= 2 && f[1] == source {
			return true, nil
		}
	}
	return false, sc.Err()
}

package doctor

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/left4me/left4me/internal/overlay"
)

// Socket is a bound UDP socket or listening TCP socket of the host.
type Socket struct {
	Proto string // "tcp" or "udp"
	Port  int
	// Owner is the unit of the process holding it when that is a
	// left4me-server@ unit, else "PID COMM", else "" (not visible to this
	// user).
	Owner string
}

// SocketLister lists the host's bound sockets.
type SocketLister interface {
	Bound(ctx context.Context) ([]Socket, error)
}

// CheckPorts: nothing but left4me's running instances holds a port of the
// configured range (LEFT4ME_PORT_RANGE_START/END): a port taken by another
// program makes the instance given it fail to start.
func (d *Doctor) CheckPorts(ctx context.Context) Result {
	const name = "ports"
	lo, hi := d.Config.PortMin, d.Config.PortMax
	socks, err := d.Sockets.Bound(ctx)
	if err != nil {
		return warn(name, fmt.Sprintf("cannot list the host's sockets: %v", err), "run the doctor on the host")
	}
	running, err := d.Units.ActiveUnits(ctx, "left4me-server@*.service")
	if err != nil {
		return warn(name, fmt.Sprintf("cannot list running instances: %v", err), "is systemd reachable over the system bus?")
	}
	// The game port of each running instance, from the instance.env its
	// unit was started with.
	gamePorts := map[int]string{}
	for _, u := range running {
		inst := strings.TrimSuffix(strings.TrimPrefix(u, "left4me-server@"), ".service")
		if env, err := overlay.ReadEnvFile(d.Config.Root.InstanceEnv(inst)); err == nil {
			gamePorts[env.Port] = inst
		}
	}
	ours := map[int]bool{}
	others := map[int][]string{}
	var unknown []int
	for _, s := range socks {
		if s.Port < lo || s.Port > hi {
			continue
		}
		switch {
		case strings.HasPrefix(s.Owner, "left4me-server@"), gamePorts[s.Port] != "":
			ours[s.Port] = true
		case s.Owner == "" && len(running) > 0:
			// Perhaps a running instance's client or SourceTV port;
			// only root sees whose.
			if !slices.Contains(unknown, s.Port) {
				unknown = append(unknown, s.Port)
			}
		default:
			owner := s.Owner
			if owner == "" {
				owner = "unknown program"
			}
			others[s.Port] = append(others[s.Port], s.Proto+" "+owner)
		}
	}
	total := hi - lo + 1
	free := total - len(ours) - len(others) - len(unknown)
	found := fmt.Sprintf("%d-%d: %d free, %d held by %d running instance(s)", lo, hi, free, len(ours), len(running))
	if len(others) > 0 {
		ports := make([]int, 0, len(others))
		for p := range others {
			ports = append(ports, p)
		}
		slices.Sort(ports)
		var list []string
		for i, p := range ports {
			if i == 10 {
				list = append(list, fmt.Sprintf("and %d more", len(ports)-10))
				break
			}
			list = append(list, fmt.Sprintf("%d (%s)", p, strings.Join(others[p], ", ")))
		}
		return warn(name, found+"; taken by other programs: "+strings.Join(list, "; "),
			"stop those programs, or move LEFT4ME_PORT_RANGE_START/END (and SocketBindAllow= of left4me-server@.service) to a free range")
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		r := warn(name, found+fmt.Sprintf("; %d more in use by processes this user cannot see (an instance's client or SourceTV ports?): %s", len(unknown), intList(unknown, 10)),
			"run the doctor as root to see who holds them")
		r.Unchecked = "the owners of those ports (as root)"
		return r
	}
	return ok(name, found)
}

func intList(ns []int, limit int) string {
	var parts []string
	for i, n := range ns {
		if i == limit {
			parts = append(parts, fmt.Sprintf("… %d more", len(ns)-limit))
			break
		}
		parts = append(parts, strconv.Itoa(n))
	}
	return strings.Join(parts, ", ")
}

// ProcSockets is the real SocketLister: /proc/net/{tcp,tcp6,udp,udp6} of
// the doctor's network namespace, owners found through /proc/PID/fd (all of
// them as root, one's own otherwise).
type ProcSockets struct {
	// Proc is the proc file system's mount point; "" is /proc.
	Proc string
}

func (p ProcSockets) proc() string {
	if p.Proc == "" {
		return "/proc"
	}
	return p.Proc
}

// Bound implements SocketLister.
func (p ProcSockets) Bound(ctx context.Context) ([]Socket, error) {
	byInode := map[string][]sockEntry{}
	read := 0
	for _, f := range []struct{ file, proto string }{{"tcp", "tcp"}, {"tcp6", "tcp"}, {"udp", "udp"}, {"udp6", "udp"}} {
		b, err := os.ReadFile(filepath.Join(p.proc(), "net", f.file))
		if err != nil {
			continue // no IPv6, for example
		}
		read++
		for _, s := range parseProcNet(string(b), f.proto) {
			byInode[s.inode] = append(byInode[s.inode], sockEntry{f.proto, s.port})
		}
	}
	if read == 0 {
		return nil, fmt.Errorf("read %s/net/{tcp,udp}: not available", p.proc())
	}
	owners := p.owners(byInode)
	var out []Socket
	for inode, es := range byInode {
		for _, e := range es {
			out = append(out, Socket{Proto: e.proto, Port: e.port, Owner: owners[inode]})
		}
	}
	slices.SortFunc(out, func(a, b Socket) int { return a.Port - b.Port })
	return out, nil
}

// sockEntry is a socket's protocol and port.
type sockEntry struct {
	proto string
	port  int
}

// procNetSocket is one line of /proc/net/{tcp,udp}.
type procNetSocket struct {
	port  int
	inode string
}

// parseProcNet returns the listening TCP sockets (state 0A) or every UDP
// socket (bound: state 07) of a /proc/net table.
func parseProcNet(text, proto string) []procNetSocket {
	var out []procNetSocket
	sc := bufio.NewScanner(strings.NewReader(text))
	first := true
	for sc.Scan() {
		if first {
			first = false
			continue
		}
		f := strings.Fields(sc.Text())
		if len(f) < 10 {
			continue
		}
		if proto == "tcp" && f[3] != "0A" {
			continue
		}
		_, hexPort, found := strings.Cut(f[1], ":")
		if !found {
			continue
		}
		port, err := strconv.ParseUint(hexPort, 16, 16)
		if err != nil || port == 0 {
			continue
		}
		out = append(out, procNetSocket{port: int(port), inode: f[9]})
	}
	return out
}

// owners maps socket inodes to their holder, as far as /proc/PID/fd is
// readable.
func (p ProcSockets) owners(want map[string][]sockEntry) map[string]string {
	out := map[string]string{}
	procs, err := os.ReadDir(p.proc())
	if err != nil {
		return out
	}
	for _, pe := range procs {
		pid := pe.Name()
		if _, err := strconv.Atoi(pid); err != nil {
			continue
		}
		fds, err := os.ReadDir(filepath.Join(p.proc(), pid, "fd"))
		if err != nil {
			continue
		}
		holder := ""
		for _, fd := range fds {
			link, err := os.Readlink(filepath.Join(p.proc(), pid, "fd", fd.Name()))
			if err != nil || !strings.HasPrefix(link, "socket:[") {
				continue
			}
			inode := strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")
			if _, ok := want[inode]; !ok {
				continue
			}
			if holder == "" {
				holder = p.holder(pid)
			}
			out[inode] = holder
		}
	}
	return out
}

// holder names a process: its left4me-server@ unit, or "PID COMM".
func (p ProcSockets) holder(pid string) string {
	cg := readString(filepath.Join(p.proc(), pid, "cgroup"))
	for _, part := range strings.Split(cg, "/") {
		if strings.HasPrefix(part, "left4me-server@") && strings.HasSuffix(strings.TrimSpace(part), ".service") {
			return strings.TrimSpace(part)
		}
	}
	return pid + " " + strings.TrimSpace(readString(filepath.Join(p.proc(), pid, "comm")))
}

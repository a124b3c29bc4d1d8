package e2e

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Two instances on adjacent port blocks (game port P, client port P+1).
const (
	portsA  = "porta"
	portsAP = 27025
	portsB  = "portb"
	portsBP = 27027
	// blockSize is internal/instance.BlockSize.
	blockSize = 2
)

// boundPort is one socket a server process holds.
type boundPort struct {
	proto string // udp, tcp, udp6, tcp6
	port  int
}

func (b boundPort) String() string { return fmt.Sprintf("%s/%d", b.proto, b.port) }

// portChecks: two servers on adjacent blocks never share a port, and each
// binds only inside its own block, read from the guest's /proc.
func (h *harness) portChecks(t *testing.T) {
	h.check(t, "ports/adjacent-blocks-disjoint", func(t *testing.T) {
		blocks := map[string]int{portsA: portsAP, portsB: portsBP}
		for _, name := range []string{portsA, portsB} {
			h.create(t, name, blocks[name])
		}
		defer func() {
			for _, name := range []string{portsA, portsB} {
				_, _ = h.c.cli(h.ctx, nil, "instance", "delete", name)
			}
		}()
		for _, name := range []string{portsA, portsB} {
			h.cliOK(t, "instance", "start", name)
		}
		bound := map[string][]boundPort{}
		for _, name := range []string{portsA, portsB} {
			p := blocks[name]
			// Wait until the server holds its game port (UDP and TCP) and
			// its client port: the unit is active before the engine binds.
			want := []boundPort{{"tcp", p}, {"udp", p}, {"udp", p + 1}}
			var got []boundPort
			err := within(h.ctx, 30*time.Second, name+" bound its ports", func() (bool, error) {
				var err error
				got, err = h.serverPorts(name)
				if err != nil {
					return false, err
				}
				for _, w := range want {
					if !slices.ContainsFunc(got, func(b boundPort) bool { return b.port == w.port && strings.HasPrefix(b.proto, w.proto) }) {
						return false, fmt.Errorf("%v not bound (bound: %v)", w, got)
					}
				}
				return true, nil
			})
			if err != nil {
				t.Fatalf("%v\n%s", err, h.unitLog(name))
			}
			bound[name] = got
			t.Logf("%s (block %d-%d) holds %v", name, p, p+blockSize-1, got)
		}
		owner := map[int]string{}
		for _, name := range []string{portsA, portsB} {
			p := blocks[name]
			for _, b := range bound[name] {
				if b.port < p || b.port > p+blockSize-1 {
					t.Errorf("%s bound %v outside its block %d-%d", name, b, p, p+blockSize-1)
				}
				if other, ok := owner[b.port]; ok && other != name {
					t.Errorf("port %d bound by both %s and %s", b.port, other, name)
				}
				owner[b.port] = name
			}
		}
		for _, name := range []string{portsA, portsB} {
			h.cliOK(t, "instance", "stop", name)
		}
	})
}

// serverPorts returns the local ports of every socket held by the processes
// of an instance's unit (srcds_run and the engine), from /proc/PID/fd
// (socket inodes) and /proc/PID/net/{udp,tcp}[6].
func (h *harness) serverPorts(name string) ([]boundPort, error) {
	cg, err := h.c.exec(h.ctx, nil, "systemctl", "show", "-p", "ControlGroup", "--value", unitName(name))
	if err != nil || strings.TrimSpace(cg) == "" {
		return nil, fmt.Errorf("control group of %s: %q %v", unitName(name), cg, err)
	}
	procs, err := h.c.exec(h.ctx, nil, "cat", "/sys/fs/cgroup"+strings.TrimSpace(cg)+"/cgroup.procs")
	if err != nil {
		return nil, fmt.Errorf("processes of %s: %v", unitName(name), err)
	}
	var out []boundPort
	seen := map[boundPort]bool{}
	for _, pid := range strings.Fields(procs) {
		links, err := h.c.exec(h.ctx, nil, "sh", "-c", "for f in /proc/"+pid+"/fd/*; do readlink \"$f\"; done")
		if err != nil {
			continue // the process exited meanwhile
		}
		inodes := map[string]bool{}
		for _, l := range strings.Fields(links) {
			if in, ok := strings.CutPrefix(l, "socket:["); ok {
				inodes[strings.TrimSuffix(in, "]")] = true
			}
		}
		if len(inodes) == 0 {
			continue
		}
		for _, proto := range []string{"udp", "tcp", "udp6", "tcp6"} {
			table, err := h.c.exec(h.ctx, nil, "cat", "/proc/"+pid+"/net/"+proto)
			if err != nil {
				continue
			}
			for _, b := range socketPorts(proto, table, inodes) {
				if !seen[b] {
					seen[b] = true
					out = append(out, b)
				}
			}
		}
	}
	slices.SortFunc(out, func(a, b boundPort) int { return a.port - b.port })
	return out, nil
}

// socketPorts parses a /proc/net/{udp,tcp}[6] table and returns the local
// ports of the sockets whose inode is in inodes.
func socketPorts(proto, table string, inodes map[string]bool) []boundPort {
	var out []boundPort
	for i, line := range strings.Split(table, "\n") {
		f := strings.Fields(line)
		// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
		if i == 0 || len(f) < 10 || !inodes[f[9]] {
			continue
		}
		_, hexPort, ok := strings.Cut(f[1], ":")
		if !ok {
			continue
		}
		port, err := strconv.ParseUint(hexPort, 16, 16)
		if err != nil {
			continue
		}
		out = append(out, boundPort{proto, int(port)})
	}
	return out
}

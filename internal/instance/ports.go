package instance

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"syscall"
)

// BlockSize is how many consecutive ports an instance owns: its game port P
// (UDP game traffic and A2S, TCP RCON) and the engine's client port P+1
// (UDP, +clientport). SourceTV is off (-nohltv), so it needs none. Without
// +clientport the engine would take a port from 27005 up, outside the
// range the unit may bind (docs/srcds.md §8).
const BlockSize = 2

// ClientPort is the client port of the block whose game port is port.
func ClientPort(port int) int { return port + 1 }

// blockEnd is the last port of the block starting at port.
func blockEnd(port int) int { return port + BlockSize - 1 }

// overlaps reports whether the blocks starting at a and b share a port.
func overlaps(a, b int) bool { return a <= blockEnd(b) && b <= blockEnd(a) }

// fits reports whether the block starting at port lies inside the range.
func (s *Service) fits(port int) bool {
	return port >= s.cfg.PortMin && blockEnd(port) <= s.cfg.PortMax
}

// overlapping returns the names of the instances other than name whose
// blocks share a port with the block starting at port, ordered by port.
func overlapping(used map[int]string, name string, port int) []usedBlock {
	var out []usedBlock
	for q, other := range used {
		if other != name && overlaps(port, q) {
			out = append(out, usedBlock{port: q, name: other})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].port < out[j].port })
	return out
}

type usedBlock struct {
	port int
	name string
}

// blockText is "P-Q", the ports of the block starting at port.
func blockText(port int) string { return fmt.Sprintf("%d-%d", port, blockEnd(port)) }

// checkPort validates an explicitly given port for instance name: the
// whole block must fit the range, share no port with another instance's
// block, and be free on the host (game port on UDP and TCP, client port on
// UDP).
func (s *Service) checkPort(ctx context.Context, name string, port int) error {
	return s.checkPortOwn(ctx, name, port, 0)
}

// checkPortOwn is checkPort for an instance whose server runs on the block
// starting at own (0: it does not run): the ports of that block are held by
// the instance's own server, not by another program.
func (s *Service) checkPortOwn(ctx context.Context, name string, port, own int) error {
	// NOTE: the server unit may bind only the configured range
	// (SocketBindAllow=), so a block outside it could never start.
	if !s.fits(port) {
		return fieldErr(FieldPort, "the instance's block %s does not fit the port range %d-%d (LEFT4ME_PORT_RANGE_START/END; an instance uses its port and the next)",
			blockText(port), s.cfg.PortMin, s.cfg.PortMax)
	}
	used, err := s.st.UsedPorts(ctx)
	if err != nil {
		return err
	}
	if o := overlapping(used, name, port); len(o) > 0 {
		return fieldKind(FieldPort, ErrPortUsed, "the instance's block %s overlaps instance %q's block %s", blockText(port), o[0].name, blockText(o[0].port))
	}
	ours := func(p int) bool { return own != 0 && p >= own && p <= blockEnd(own) }
	if !ours(port) && !s.portFree(port) {
		if other := s.runningOn(ctx, name, port); other != "" {
			return fieldKind(FieldPort, ErrPortUsed, "the game port %d is in use by the running server of instance %q (its new port applies when it next starts)", port, other)
		}
		return fieldKind(FieldPort, ErrPortUsed, "the game port %d is in use on this host by another program", port)
	}
	if !ours(ClientPort(port)) && !s.udpFree(ClientPort(port)) {
		if other := s.runningOn(ctx, name, ClientPort(port)); other != "" {
			return fieldKind(FieldPort, ErrPortUsed, "the client port %d (of the block %s) is in use by the running server of instance %q (its new port applies when it next starts)", ClientPort(port), blockText(port), other)
		}
		return fieldKind(FieldPort, ErrPortUsed, "the client port %d (of the block %s) is in use on this host by another program", ClientPort(port), blockText(port))
	}
	return nil
}

// runningPort is the game port name's server runs on (its LaunchPort), or
// 0 when it does not run.
func (s *Service) runningPort(ctx context.Context, name string) (int, error) {
	st, err := s.sup.Status(ctx, name)
	if err != nil {
		return 0, fmt.Errorf("status of %s: %w", name, err)
	}
	if !active(st.State) {
		return 0, nil
	}
	return s.withLaunch(Instance{Name: name}).LaunchPort, nil
}

// runningOn names the instance other than name whose server runs on a
// block holding port, launched before its port was changed; "" when none
// (or when that cannot be told: it only words a refusal).
func (s *Service) runningOn(ctx context.Context, name string, port int) string {
	recs, err := s.st.ListInstances(ctx)
	if err != nil {
		return ""
	}
	for _, r := range recs {
		in := s.withLaunch(fromRecord(r))
		if in.Name == name || in.LaunchPort == 0 || in.LaunchPort == in.Port || port < in.LaunchPort || port > blockEnd(in.LaunchPort) {
			continue
		}
		if st, err := s.sup.Status(ctx, in.Name); err == nil && active(st.State) {
			return in.Name
		}
	}
	return ""
}

// pickPort returns the lowest game port whose block fits the range,
// overlaps no instance's block and is free on the host.
func (s *Service) pickPort(ctx context.Context, skip map[int]bool) (int, error) {
	used, err := s.st.UsedPorts(ctx)
	if err != nil {
		return 0, err
	}
	for p := s.cfg.PortMin; s.fits(p); p++ {
		if skip[p] || len(overlapping(used, "", p)) > 0 {
			continue
		}
		if s.portFree(p) && s.udpFree(ClientPort(p)) {
			return p, nil
		}
	}
	return 0, fieldKind(FieldPort, ErrPortUsed, "no free block of %d ports in %d-%d", BlockSize, s.cfg.PortMin, s.cfg.PortMax)
}

// checkBlockAtStart refuses to start an instance whose block overlaps the
// block of another instance that is running. Create and Update never make
// such blocks; instances created before blocks existed (one port each) may
// sit on adjacent ports, and then only one of two neighbours can run: the
// server binds its block with -strictportbind and would fail anyway.
//
// It also refuses when another program holds the client port: the engine
// would then bind any port instead (docs/srcds.md §8), outside the block,
// where systemd does not enforce SocketBindAllow=. A taken game port needs
// no check here: -strictportbind makes the server fail visibly.
func (s *Service) checkBlockAtStart(ctx context.Context, in Instance) error {
	used, err := s.st.UsedPorts(ctx)
	if err != nil {
		return fmt.Errorf("start %s: %w", in.Name, err)
	}
	for _, o := range overlapping(used, in.Name, in.Port) {
		st, err := s.sup.Status(ctx, o.name)
		if err != nil {
			return fmt.Errorf("start %s: status of %s: %w", in.Name, o.name, err)
		}
		if active(st.State) {
			return fmt.Errorf("%w: start %s: its port block %s overlaps the block %s of instance %q, which is %s; stop %q or give one of them another port",
				ErrPortUsed, in.Name, blockText(in.Port), blockText(o.port), o.name, st.State, o.name)
		}
	}
	if !s.udpFree(ClientPort(in.Port)) {
		return fmt.Errorf("%w: start %s: its client port %d (port block %s) is in use on this host by another program", ErrPortUsed, in.Name, ClientPort(in.Port), blockText(in.Port))
	}
	return nil
}

// hostPortFree reports whether both UDP and TCP can be bound on port. Only
// "address in use" counts as taken: a sandbox that forbids binding (EPERM)
// says nothing about other programs.
func hostPortFree(port int) bool {
	addr := fmt.Sprintf(":%d", port)
	if l, err := net.Listen("tcp", addr); err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return false
		}
	} else {
		l.Close()
	}
	return hostUDPFree(port)
}

// hostUDPFree reports whether UDP can be bound on port (see hostPortFree).
func hostUDPFree(port int) bool {
	c, err := net.ListenPacket("udp", fmt.Sprintf(":%d", port))
	if err != nil {
		return !errors.Is(err, syscall.EADDRINUSE)
	}
	c.Close()
	return true
}

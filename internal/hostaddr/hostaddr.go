// Package hostaddr finds the address of this host that other machines (and
// the host itself) reach its game servers on.
//
// The real Left 4 Dead 2 server does not answer A2S queries sent to
// 127.0.0.1 and drops UDP log destinations in 127.0.0.0/8 (docs/srcds.md
// §8), so the panel queries game servers and announces its log listener on a
// non-loopback address of the host: the one configured, or else the primary
// address found here. Packets to it are still routed locally by the kernel.
package hostaddr

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"
)

// ErrNone says the host has no usable non-loopback address.
var ErrNone = errors.New("no non-loopback address on this host")

// Primary returns the host's primary IPv4 address: the first global unicast
// IPv4 address of the interface carrying the default route, or else of the
// first interface that is up and not a loopback.
func Primary() (netip.Addr, error) {
	f, err := os.Open("/proc/net/route")
	var ifname string
	if err == nil {
		ifname = defaultRouteInterface(f)
		f.Close()
	}
	return primary(ifname, interfaces)
}

// iface is what primary needs of an interface.
type iface struct {
	Name  string
	Up    bool
	Loop  bool
	Addrs []netip.Addr
}

func interfaces() ([]iface, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("list network interfaces: %w", err)
	}
	out := make([]iface, 0, len(ifs))
	for _, in := range ifs {
		it := iface{Name: in.Name, Up: in.Flags&net.FlagUp != 0, Loop: in.Flags&net.FlagLoopback != 0}
		addrs, err := in.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if pfx, err := netip.ParsePrefix(a.String()); err == nil {
				it.Addrs = append(it.Addrs, pfx.Addr())
			}
		}
		out = append(out, it)
	}
	return out, nil
}

func primary(defaultIf string, list func() ([]iface, error)) (netip.Addr, error) {
	ifs, err := list()
	if err != nil {
		return netip.Addr{}, err
	}
	pick := func(in iface) (netip.Addr, bool) {
		if !in.Up || in.Loop {
			return netip.Addr{}, false
		}
		for _, a := range in.Addrs {
			if a.Is4() && a.IsGlobalUnicast() {
				return a, true
			}
		}
		return netip.Addr{}, false
	}
	for _, in := range ifs {
		if in.Name == defaultIf {
			if a, ok := pick(in); ok {
				return a, nil
			}
		}
	}
	for _, in := range ifs {
		if a, ok := pick(in); ok {
			return a, nil
		}
	}
	return netip.Addr{}, ErrNone
}

// defaultRouteInterface reads /proc/net/route and returns the interface of
// the first IPv4 default route (destination and mask 0), or "".
func defaultRouteInterface(r io.Reader) string {
	sc := bufio.NewScanner(r)
	first := true
	for sc.Scan() {
		if first {
			first = false
			continue // header
		}
		f := strings.Fields(sc.Text())
		if len(f) >= 8 && f[1] == "00000000" && f[7] == "00000000" {
			return f[0]
		}
	}
	return ""
}

// Resolve returns the address to use: configured when set (it must be an IP
// address, not loopback or unspecified), else Primary. name is the setting's
// name, used in errors.
func Resolve(name, configured string) (netip.Addr, error) {
	configured = strings.TrimSpace(configured)
	if configured == "" {
		a, err := Primary()
		if err != nil {
			return netip.Addr{}, fmt.Errorf("%s is unset and %w; set %s to an address of this host", name, err, name)
		}
		return a, nil
	}
	a, err := netip.ParseAddr(configured)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("%s %q: not an IP address", name, configured)
	}
	a = a.Unmap()
	if a.IsLoopback() || a.IsUnspecified() {
		return netip.Addr{}, fmt.Errorf("%s %s: must be a non-loopback address of this host (the game server ignores queries on loopback)", name, a)
	}
	return a, nil
}

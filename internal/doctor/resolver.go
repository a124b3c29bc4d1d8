package doctor

import (
	"bufio"
	"context"
	"net/netip"
	"os"
	"strings"
)

// CheckResolver: the name servers of /etc/resolv.conf are reachable from the
// units. The server and web units allow no link-local address
// (IPAddressDeny=, docs/platforms.md, "Exposure ratings"), which keeps them away from
// a cloud's metadata service; a host whose resolver is the metadata server
// (Google Cloud hands out 169.254.169.254) would leave the units without
// DNS, so Steam logon and Workshop downloads would fail.
func (d *Doctor) CheckResolver(ctx context.Context) Result {
	const name = "resolver"
	const fix = "use a loopback stub resolver (apt-get install systemd-resolved: resolv.conf then names 127.0.0.53), or allow the resolver's address in a drop-in (IPAddressAllow=, which also opens the metadata service); see docs/platforms.md"
	b, err := os.ReadFile(d.sys("/etc/resolv.conf"))
	if err != nil {
		return warn(name, "cannot read /etc/resolv.conf: "+err.Error(), "the units resolve names through /etc/resolv.conf (glibc and Go read it)")
	}
	var servers, linkLocal []string
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || f[0] != "nameserver" {
			continue
		}
		servers = append(servers, f[1])
		if a, err := netip.ParseAddr(strings.SplitN(f[1], "%", 2)[0]); err == nil && (a.IsLinkLocalUnicast() || a.Unmap().IsLinkLocalUnicast()) {
			linkLocal = append(linkLocal, f[1])
		}
	}
	switch {
	case len(servers) == 0:
		return warn(name, "/etc/resolv.conf names no nameserver (glibc then asks 127.0.0.1)", "make sure a resolver answers on loopback, or name one")
	case len(linkLocal) > 0:
		return fail(name, "/etc/resolv.conf names the link-local resolver "+strings.Join(linkLocal, ", ")+", which the units may not reach", fix)
	}
	return ok(name, "resolvers "+strings.Join(servers, ", ")+" are reachable from the units")
}

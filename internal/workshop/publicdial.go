package workshop

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
)

// errNotPublic marks a download refused because file_url (or a redirect)
// leads to a loopback, private, link-local or otherwise non-public address.
var errNotPublic = errors.New("not a public address")

// nonPublic are the address ranges, besides those netip classifies itself,
// that a Workshop file may not come from.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"), // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"), // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),   // reserved, broadcast
	netip.MustParsePrefix("64:ff9b::/96"),  // NAT64: could reach any IPv4 address
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("2001:db8::/32"),
}

// isPublic reports whether a is a global unicast address outside the
// private and special-purpose ranges.
func isPublic(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || !a.IsGlobalUnicast() || a.IsPrivate() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// hostPort is u's host:port with the scheme's default port filled in.
func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// trustedHostPort is the host:port of rawURL, or "" when it does not parse.
func trustedHostPort(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return ""
	}
	return hostPort(u)
}

// publicDialer returns a DialContext that connects only to public addresses,
// checked on the address actually dialled (after DNS, so a name that
// resolves or rebinds to 127.0.0.1 is refused too), except for the proxy
// the environment names and for trusted, the host:port of the Web API base
// the operator configured (a mirror, or a test server on loopback).
//
// NOTE: file_url and any redirect from it are chosen outside this host; the
// panel process can reach its own loopback services and the local network,
// which a Workshop download must never be a way into.
func publicDialer(base *net.Dialer, trusted string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	exempt := map[string]bool{}
	if trusted != "" {
		exempt[trusted] = true
	}
	for _, scheme := range []string{"http", "https"} {
		req := &http.Request{URL: &url.URL{Scheme: scheme, Host: "steamusercontent.com"}}
		if p, err := http.ProxyFromEnvironment(req); err == nil && p != nil {
			exempt[hostPort(p)] = true
		}
	}
	guarded := *base
	guarded.Control = func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("%w: cannot parse %q", errNotPublic, address)
		}
		if !isPublic(ap.Addr()) {
			return fmt.Errorf("%w: %s", errNotPublic, ap.Addr())
		}
		return nil
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if exempt[addr] {
			return base.DialContext(ctx, network, addr)
		}
		return guarded.DialContext(ctx, network, addr)
	}
}

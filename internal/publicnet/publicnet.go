// Package publicnet is the one rule for connections to addresses chosen
// outside this host (a Workshop item's file_url, a webhook's URL): they may
// reach only public addresses, checked on the address actually dialled,
// after DNS, so that a name that resolves or rebinds to 127.0.0.1 or the
// local network is refused too.
package publicnet

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

// ErrNotPublic marks a connection refused because its address is loopback,
// private, link-local or otherwise not public.
var ErrNotPublic = errors.New("not a public address")

// nonPublic are the address ranges, besides those netip classifies itself,
// that are not public.
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

// IsPublic reports whether a is a global unicast address outside the
// private and special-purpose ranges.
func IsPublic(a netip.Addr) bool {
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

// Options loosen the rule for addresses the operator chose.
type Options struct {
	// Exempt are host:port pairs dialled without the check (the Steam Web
	// API base the operator configured: a mirror, or a test server).
	Exempt []string
	// AllowLoopback lets connections reach loopback addresses (a local
	// bridge the operator runs, LEFT4ME_WEBHOOK_ALLOW_LOOPBACK); private
	// and link-local ranges stay refused.
	AllowLoopback bool
}

// Allowed reports whether a may be dialled under o.
func (o Options) Allowed(a netip.Addr) bool {
	return IsPublic(a) || o.AllowLoopback && a.Unmap().IsLoopback()
}

// HostPort is u's host:port with the scheme's default port filled in.
func HostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// URLHostPort is the host:port of rawURL, or "" when it does not parse.
func URLHostPort(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return ""
	}
	return HostPort(u)
}

// Dialer returns a DialContext that connects only to addresses o allows,
// checked on the address actually dialled, except for o.Exempt and for the
// proxy the environment names (http.ProxyFromEnvironment).
//
// NOTE: the panel process can reach its own loopback services and the local
// network; an address chosen outside this host must never be a way into
// them, so the check runs in the dialer's Control hook, after DNS.
func Dialer(base *net.Dialer, o Options) func(ctx context.Context, network, addr string) (net.Conn, error) {
	exempt := map[string]bool{}
	for _, e := range o.Exempt {
		if e != "" {
			exempt[e] = true
		}
	}
	for _, scheme := range []string{"http", "https"} {
		req := &http.Request{URL: &url.URL{Scheme: scheme, Host: "example.com"}}
		if p, err := http.ProxyFromEnvironment(req); err == nil && p != nil {
			exempt[HostPort(p)] = true
		}
	}
	guarded := *base
	guarded.Control = func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("%w: cannot parse %q", ErrNotPublic, address)
		}
		if !o.Allowed(ap.Addr()) {
			return fmt.Errorf("%w: %s", ErrNotPublic, ap.Addr())
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

package workshop

import (
	"context"
	"net"

	"github.com/left4me/left4me/internal/publicnet"
)

// errNotPublic marks a download refused because file_url (or a redirect)
// leads to a loopback, private, link-local or otherwise non-public address.
var errNotPublic = publicnet.ErrNotPublic

// trustedHostPort is the host:port of rawURL, or "" when it does not parse.
func trustedHostPort(rawURL string) string { return publicnet.URLHostPort(rawURL) }

// publicDialer returns a DialContext that connects only to public addresses
// (the rule of internal/publicnet), except for the proxy the environment
// names and for trusted, the host:port of the Web API base the operator
// configured (a mirror, or a test server on loopback).
func publicDialer(base *net.Dialer, trusted string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return publicnet.Dialer(base, publicnet.Options{Exempt: []string{trusted}})
}

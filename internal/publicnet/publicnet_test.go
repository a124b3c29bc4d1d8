package publicnet

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestIsPublic(t *testing.T) {
	for addr, want := range map[string]bool{
		"1.1.1.1":          true,
		"23.52.74.41":      true,
		"2606:4700::1111":  true,
		"127.0.0.1":        false,
		"127.8.9.10":       false,
		"::1":              false,
		"10.1.2.3":         false,
		"172.16.0.1":       false,
		"192.168.1.1":      false,
		"169.254.169.254":  false, // cloud metadata
		"100.64.0.1":       false,
		"0.0.0.0":          false,
		"::":               false,
		"fd00::1":          false,
		"fe80::1":          false,
		"224.0.0.1":        false,
		"255.255.255.255":  false,
		"::ffff:127.0.0.1": false,
		"::ffff:10.0.0.1":  false,
		"64:ff9b::7f00:1":  false,
		"198.18.0.1":       false,
	} {
		a := netip.MustParseAddr(addr)
		if got := IsPublic(a); got != want {
			t.Errorf("IsPublic(%s) = %v, want %v", addr, got, want)
		}
	}
}

// TestAllowLoopback: the loopback setting opens loopback and nothing else
// of the host's networks.
func TestAllowLoopback(t *testing.T) {
	o := Options{AllowLoopback: true}
	for addr, want := range map[string]bool{"127.0.0.1": true, "::1": true, "::ffff:127.0.0.1": true, "10.0.0.1": false, "169.254.169.254": false, "1.1.1.1": true} {
		if got := o.Allowed(netip.MustParseAddr(addr)); got != want {
			t.Errorf("with loopback allowed, Allowed(%s) = %v, want %v", addr, got, want)
		}
	}
	if (Options{}).Allowed(netip.MustParseAddr("127.0.0.1")) {
		t.Error("loopback allowed without the setting")
	}
}

// TestDialerRefusesLoopback dials a real loopback server with and without
// the setting.
func TestDialerRefusesLoopback(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	for _, allow := range []bool{false, true} {
		hc := &http.Client{Transport: &http.Transport{DialContext: Dialer(&net.Dialer{}, Options{AllowLoopback: allow})}}
		resp, err := hc.Get(srv.URL)
		if resp != nil {
			resp.Body.Close()
		}
		if allow && err != nil {
			t.Errorf("loopback allowed: %v", err)
		}
		if !allow && !errors.Is(err, ErrNotPublic) {
			t.Errorf("loopback not allowed: err %v, want ErrNotPublic", err)
		}
	}
}

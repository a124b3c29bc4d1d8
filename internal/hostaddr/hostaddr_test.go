package hostaddr

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestDefaultRouteInterface(t *testing.T) {
	const table = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n" +
		"eth1\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n" +
		"eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
	if got := defaultRouteInterface(strings.NewReader(table)); got != "eth0" {
		t.Fatalf("default route interface = %q, want eth0", got)
	}
	if got := defaultRouteInterface(strings.NewReader("Iface\tDestination\n")); got != "" {
		t.Fatalf("no routes: got %q", got)
	}
}

func TestPrimary(t *testing.T) {
	a := netip.MustParseAddr
	ifs := []iface{
		{Name: "lo", Up: true, Loop: true, Addrs: []netip.Addr{a("127.0.0.1")}},
		{Name: "eth1", Up: true, Addrs: []netip.Addr{a("fe80::1"), a("10.0.0.5")}},
		{Name: "eth0", Up: true, Addrs: []netip.Addr{a("fd00::2"), a("192.0.2.2")}},
		{Name: "eth2", Up: false, Addrs: []netip.Addr{a("198.51.100.1")}},
	}
	list := func() ([]iface, error) { return ifs, nil }
	cases := []struct{ defIf, want string }{
		{"eth0", "192.0.2.2"}, // the default route's interface wins
		{"", "10.0.0.5"},      // else the first interface that is up
		{"eth2", "10.0.0.5"},  // a down interface is skipped
	}
	for _, c := range cases {
		got, err := primary(c.defIf, list)
		if err != nil || got != a(c.want) {
			t.Errorf("primary(%q) = %v, %v; want %s", c.defIf, got, err, c.want)
		}
	}
	_, err := primary("", func() ([]iface, error) { return ifs[:1], nil })
	if !errors.Is(err, ErrNone) {
		t.Fatalf("loopback only: err = %v, want ErrNone", err)
	}
}

func TestResolve(t *testing.T) {
	if got, err := Resolve("X", "192.0.2.7"); err != nil || got.String() != "192.0.2.7" {
		t.Fatalf("Resolve configured = %v, %v", got, err)
	}
	for _, bad := range []string{"127.0.0.1", "0.0.0.0", "::1", "example.org"} {
		if _, err := Resolve("LEFT4ME_QUERY_HOST", bad); err == nil || !strings.Contains(err.Error(), "LEFT4ME_QUERY_HOST") {
			t.Errorf("Resolve(%q) err = %v, want an error naming the setting", bad, err)
		}
	}
}

package deploy

import (
	"bufio"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"
)

// addressLists reads a unit's IPAddressDeny= and IPAddressAllow= entries,
// with systemd's names (localhost, link-local, multicast, any) expanded.
func addressLists(t *testing.T, unit string) (deny, allow []netip.Prefix) {
	t.Helper()
	f, err := os.Open(unit)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	named := map[string][]string{
		"any":        {"0.0.0.0/0", "::/0"},
		"localhost":  {"127.0.0.0/8", "::1/128"},
		"link-local": {"169.254.0.0/16", "fe80::/64"},
		"multicast":  {"224.0.0.0/4", "ff00::/8"},
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		key, val, ok := strings.Cut(line, "=")
		if !ok || strings.HasPrefix(line, "#") || (key != "IPAddressDeny" && key != "IPAddressAllow") {
			continue
		}
		for _, word := range strings.Fields(val) {
			texts, ok := named[word]
			if !ok {
				texts = []string{word}
			}
			for _, text := range texts {
				p, err := netip.ParsePrefix(text)
				if err != nil {
					t.Fatalf("%s: %s=%s: %v", unit, key, word, err)
				}
				if p != p.Masked() {
					t.Errorf("%s: %s has host bits set (systemd would widen it to %s)", unit, p, p.Masked())
				}
				if key == "IPAddressDeny" {
					deny = append(deny, p)
				} else {
					allow = append(allow, p)
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return deny, allow
}

// reachable applies systemd's rule: an address in IPAddressAllow= passes,
// else one in IPAddressDeny= is refused, else it passes.
func reachable(deny, allow []netip.Prefix, a netip.Addr) bool {
	in := func(l []netip.Prefix) bool {
		return slices.ContainsFunc(l, func(p netip.Prefix) bool { return p.Contains(a) })
	}
	return in(allow) || !in(deny)
}

// TestLongRunningUnitsReachNoLinkLocal: the game server and the panel
// reach players, browsers, the host's own addresses, LAN addresses and
// Steam, but no link-local address (a cloud's metadata service), multicast,
// broadcast or 0.0.0.0/8, and both units carry the same list
// (docs/platforms.md).
func TestLongRunningUnitsReachNoLinkLocal(t *testing.T) {
	units := []string{"systemd/left4me-server@.service", "systemd/left4me-web.service"}
	reach := []string{
		"127.0.0.1", "127.0.0.53", "::1", // RCON, the panel behind a proxy, a resolver stub
		"10.77.0.1", "172.16.0.1", "192.168.1.20", "100.64.0.1", // LAN, carrier-grade NAT, VPNs
		"1.1.1.1", "8.8.8.8", "23.1.2.3", "155.133.224.1", "208.64.200.1", "223.255.255.254", // the internet, Steam's ranges
		"169.253.255.255", "169.255.0.1", // next to link-local
		"2001:db8::1", "2a01:4f8::1", // IPv6 global unicast
	}
	unreachable := []string{
		"169.254.169.254", "169.254.169.253", "169.254.0.1", // metadata services, link-local
		"224.0.0.251", "239.255.255.250", "255.255.255.255", "240.0.0.1", // multicast, broadcast, reserved
		"0.0.0.0", "0.1.2.3",
		"fe80::1", "ff02::1", "fd00:ec2::254", "::ffff:169.254.169.254", // IPv6 link-local, multicast, unique local
	}
	var lists [][]string
	for _, unit := range units {
		deny, allow := addressLists(t, unit)
		if len(deny) == 0 {
			t.Fatalf("%s has no IPAddressDeny=", unit)
		}
		for _, s := range reach {
			if a := netip.MustParseAddr(s); !reachable(deny, allow, a) {
				t.Errorf("%s refuses %s", unit, a)
			}
		}
		for _, s := range unreachable {
			if a := netip.MustParseAddr(s); reachable(deny, allow, a) {
				t.Errorf("%s allows %s", unit, a)
			}
		}
		var key []string
		for _, p := range deny {
			key = append(key, "deny "+p.String())
		}
		for _, p := range allow {
			key = append(key, "allow "+p.String())
		}
		slices.Sort(key)
		lists = append(lists, key)
	}
	if !slices.Equal(lists[0], lists[1]) {
		t.Errorf("%s and %s allow different addresses:\n%v\n%v", units[0], units[1], lists[0], lists[1])
	}
}

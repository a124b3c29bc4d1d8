package doctor

import (
	"context"
	"testing"
)

func TestCheckResolver(t *testing.T) {
	for _, tc := range []struct {
		name, conf string
		want       Status
		words      []string
	}{
		{"loopback stub", "nameserver 127.0.0.53\noptions edns0\n", OK, []string{"127.0.0.53"}},
		{"google cloud metadata", "# from DHCP\nnameserver 169.254.169.254\nsearch c.example.internal\n", Fail, []string{"169.254.169.254", "systemd-resolved"}},
		{"ipv6 link-local", "nameserver 192.0.2.53\nnameserver fe80::1%eth0\n", Fail, []string{"fe80::1%eth0"}},
		{"none", "search example.org\n", Warn, []string{"no nameserver"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDoctor(t)
			writeSys(t, d, "/etc/resolv.conf", tc.conf)
			expect(t, d.CheckResolver(context.Background()), "resolver", tc.want, tc.words...)
		})
	}
	t.Run("unreadable", func(t *testing.T) {
		d := newDoctor(t)
		expect(t, d.CheckResolver(context.Background()), "resolver", Warn, "cannot read /etc/resolv.conf")
	})
}

package web

import (
	"testing"
)

// BenchmarkAuditedRequest is a state-changing API request (a PATCH that
// changes an instance's arguments) with and without the audit log: the
// cost of its entry.
func BenchmarkAuditedRequest(b *testing.B) {
	for _, on := range []bool{false, true} {
		name := "audit-off"
		if on {
			name = "audit-on"
		}
		b.Run(name, func(b *testing.B) {
			e := newEnv(b)
			if !on {
				e.srv.cfg.Audit = nil
			}
			root := e.quickUser("root", true)
			e.mustCreate("alpha", root)
			c := e.as(root)
			b.ResetTimer()
			for b.Loop() {
				if resp, body := c.do("PATCH", "/api/v1/instances/alpha", `{"args": ["+map", "c1m1_hotel"]}`, nil); resp.StatusCode != 200 {
					b.Fatalf("%d %s", resp.StatusCode, body)
				}
			}
		})
	}
}

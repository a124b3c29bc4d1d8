package e2e

import (
	"fmt"
	"testing"
)

// TestExposureLimit: the exposure check reads systemd-analyze security's
// rating and fails a unit above its limit, equal passing; it runs without
// the guests (LEFT4ME_E2E=0 too).
func TestExposureLimit(t *testing.T) {
	const table = `  NAME                 DESCRIPTION                                   EXPOSURE
✗ PrivateNetwork=      Service has access to the host's network          0.5
✓ PrivateTmp=          Service has no access to other software's temporary files

→ Overall exposure level for left4me-web.service: %s OK 🙂
`
	for _, c := range []struct {
		rating, limit string
		above         bool
	}{
		{"1.0", "1.0", false},
		{"0.9", "1.0", false},
		{"1.1", "1.0", true},
		{"1.3", "1.2", true},
		{"1.2", "1.2", false},
		{"10.0", "1.2", true},
	} {
		out := fmt.Sprintf(table, c.rating)
		got, err := exposureOf(out)
		if err != nil || got != c.rating {
			t.Fatalf("exposureOf = %q, %v; want %q", got, err, c.rating)
		}
		above, err := exposureAbove(got, c.limit)
		if err != nil || above != c.above {
			t.Errorf("exposureAbove(%s, %s) = %v, %v; want %v", got, c.limit, above, err, c.above)
		}
	}
	if _, err := exposureOf("no rating here"); err == nil {
		t.Error("exposureOf found a rating in output without one")
	}
	if _, err := exposureAbove("1", "1.2"); err == nil {
		t.Error(`exposureAbove accepted "1"`)
	}
	// The shipped limits are those of docs/platforms.md.
	want := map[string]string{"security/server-exposure": "1.2", "security/web-exposure": "1.0"}
	for _, l := range exposureLimits {
		if w, ok := want[l.name]; ok && l.max != w {
			t.Errorf("%s limit = %s, want %s", l.name, l.max, w)
		}
	}
}

package workshop

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/left4me/left4me/internal/layout"
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
		a, err := netip.ParseAddr(addr)
		if err != nil {
			if want {
				t.Fatalf("bad test address %q", addr)
			}
			continue
		}
		if got := isPublic(a); got != want {
			t.Errorf("isPublic(%s) = %v, want %v", addr, got, want)
		}
	}
}

// TestDownloadRefusesNonPublicFileURL: with the default client a file_url on
// loopback (or a redirect there from the trusted API host) is refused before
// any request reaches it, and the failure is permanent, not retried.
func TestDownloadRefusesNonPublicFileURL(t *testing.T) {
	var hits atomic.Int64
	internal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write([]byte("secret"))
	}))
	defer internal.Close()
	trusted := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, internal.URL+"/x.vpk", http.StatusFound)
			return
		}
		w.Write([]byte("not a vpk"))
	}))
	defer trusted.Close()

	root, err := layout.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	d := NewDownloader(DownloaderConfig{Root: root, TrustedURL: trusted.URL})
	item := func(id uint64, u string) Details {
		return Details{ID: id, Result: ResultOK, ConsumerAppID: AppID, FileURL: u, FileSize: 6, TimeUpdated: 1700000000}
	}
	for _, tc := range []struct{ name, url string }{
		{"loopback file_url", internal.URL + "/x.vpk"},
		{"localhost name", strings.Replace(internal.URL, "127.0.0.1", "localhost", 1) + "/x.vpk"},
		{"redirect to loopback", trusted.URL + "/redirect"},
	} {
		res := d.Download(context.Background(), item(42, tc.url), nil)
		if !errors.Is(res.Err, ErrUnavailable) || !strings.Contains(res.Err.Error(), "not a public address") {
			t.Errorf("%s: err %v; want ErrUnavailable naming a non-public address", tc.name, res.Err)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the loopback server was reached %d times", n)
	}
	// The operator's own API host stays reachable (tests, mirrors): this
	// download gets through and fails only as a corrupt VPK.
	res := d.Download(context.Background(), item(43, trusted.URL+"/y.vpk"), nil)
	if res.Err == nil || strings.Contains(res.Err.Error(), "not a public address") {
		t.Errorf("trusted host: err %v; want a non-SSRF failure", res.Err)
	}
}

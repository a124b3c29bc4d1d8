package workshop

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/left4me/left4me/internal/layout"
)

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

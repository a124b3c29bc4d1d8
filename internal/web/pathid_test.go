package web

import (
	"net/http"
	"net/url"
	"testing"
)

// TestMalformedIDsAreNotFound: every route with a numeric id answers a
// malformed one 404, never 500 (an id past int64 used to overflow into a
// server error).
func TestMalformedIDsAreNotFound(t *testing.T) {
	e := newEnv(t)
	admin := e.user("root", true)
	e.mustCreate("vs", admin)
	c := e.as(admin)
	for _, id := range []string{"99999999999999999999", "-1", "0", "abc", "1e3", "%201", "0x10", "+5"} {
		for _, path := range []string{
			"/account/tokens/" + id + "/revoke",
			"/admin/users/" + id + "/delete",
			"/admin/users/" + id + "/limits",
			"/instances/vs/shares/" + id + "/delete",
		} {
			resp, body := c.post(path, url.Values{})
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("POST %s: status %d, want 404\n%.200s", path, resp.StatusCode, body)
			}
		}
	}
}

func FuzzPathID(f *testing.F) {
	for _, s := range []string{"1", "99999999999999999999", "-1", "", "007"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := http.NewRequest("GET", "/", nil)
		if err != nil {
			t.Skip()
		}
		r.SetPathValue("id", s)
		if id, ok := pathID(r, "id"); ok && id < 1 {
			t.Fatalf("pathID(%q) = %d, true", s, id)
		}
	})
}

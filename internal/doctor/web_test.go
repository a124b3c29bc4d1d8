package doctor

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHealthURL(t *testing.T) {
	for listen, want := range map[string]string{
		"":               "http://127.0.0.1:8000/health",
		"127.0.0.1:8000": "http://127.0.0.1:8000/health",
		"0.0.0.0:9000":   "http://127.0.0.1:9000/health",
		":9000":          "http://127.0.0.1:9000/health",
		"[::]:9000":      "http://[::1]:9000/health",
		"10.0.0.5:80":    "http://10.0.0.5:80/health",
	} {
		got, err := healthURL(listen)
		if err != nil || got != want {
			t.Errorf("healthURL(%q) = %q, %v; want %q", listen, got, err, want)
		}
	}
	if _, err := healthURL("nonsense"); err == nil || !strings.Contains(err.Error(), "LEFT4ME_LISTEN") {
		t.Errorf("healthURL(nonsense) error = %v, want one naming LEFT4ME_LISTEN", err)
	}
}

func TestCheckWeb(t *testing.T) {
	handler := func(code int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/health" {
				http.NotFound(w, r)
				return
			}
			w.WriteHeader(code)
			w.Write([]byte(`{"status":"ok","db":"ok"}`))
		}
	}
	for _, tc := range []struct {
		code  int
		want  Status
		words []string
	}{
		{http.StatusOK, OK, []string{"200 OK", `"status":"ok"`}},
		{http.StatusServiceUnavailable, Fail, []string{"503", "left4me-web.service"}},
	} {
		srv := httptest.NewServer(handler(tc.code))
		d := newDoctor(t)
		d.Config.Listen = strings.TrimPrefix(srv.URL, "http://")
		d.HTTP = srv.Client()
		expect(t, d.CheckWeb(context.Background()), "web", tc.want, tc.words...)
		srv.Close()
	}
	// Nothing listens.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	d := newDoctor(t)
	d.Config.Listen = addr
	expect(t, d.CheckWeb(context.Background()), "web", Fail, "connection refused", "systemctl status left4me-web.service")
}

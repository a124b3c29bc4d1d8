package steamcmd

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

func tarGz(t *testing.T, entries []tar.Header, bodies map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	tw := tar.NewWriter(zw)
	for _, h := range entries {
		body := bodies[h.Name]
		h.Size = int64(len(body))
		if h.Typeflag != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(body))
	}
	tw.Close()
	zw.Close()
	return b.Bytes()
}

func TestBootstrap(t *testing.T) {
	good := tarGz(t, []tar.Header{
		{Name: "steamcmd.sh", Typeflag: tar.TypeReg, Mode: 0o755},
		{Name: "linux32/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "linux32/steamcmd", Typeflag: tar.TypeReg, Mode: 0o755},
		{Name: "linux32/steamclient.so", Typeflag: tar.TypeReg, Mode: 0o644},
	}, map[string]string{"steamcmd.sh": "#!/bin/sh\n", "linux32/steamcmd": "ELF", "linux32/steamclient.so": "ELF"})
	evil := tarGz(t, []tar.Header{
		{Name: "steamcmd.sh", Typeflag: tar.TypeReg, Mode: 0o755},
		{Name: "../escape", Typeflag: tar.TypeReg, Mode: 0o644},
	}, map[string]string{"steamcmd.sh": "x", "../escape": "x"})
	link := tarGz(t, []tar.Header{
		{Name: "steamcmd.sh", Typeflag: tar.TypeSymlink, Linkname: "/bin/sh"},
	}, nil)
	bundles := map[string][]byte{"/good.tar.gz": good, "/evil.tar.gz": evil, "/link.tar.gz": link}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := bundles[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	}))
	defer srv.Close()
	ctx := context.Background()

	dir := filepath.Join(t.TempDir(), "steam")
	did, err := Bootstrap(ctx, srv.Client(), srv.URL+"/good.tar.gz", dir)
	if err != nil || !did {
		t.Fatalf("bootstrap: %v %v", did, err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "steamcmd.sh")); err != nil || fi.Mode().Perm()&0o100 == 0 {
		t.Errorf("steamcmd.sh: %v %v", fi, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "linux32", "steamclient.so")); err != nil {
		t.Error(err)
	}
	if did, err := Bootstrap(ctx, srv.Client(), srv.URL+"/missing", dir); err != nil || did {
		t.Errorf("second bootstrap: %v %v", did, err)
	}
	for _, u := range []string{"/evil.tar.gz", "/link.tar.gz", "/missing"} {
		d := filepath.Join(t.TempDir(), "steam")
		if _, err := Bootstrap(ctx, srv.Client(), srv.URL+u, d); err == nil {
			t.Errorf("%s accepted", u)
		}
		if _, err := os.Stat(filepath.Join(d, "steamcmd.sh")); err == nil {
			t.Errorf("%s left steamcmd.sh behind", u)
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(d), "escape")); err == nil {
			t.Errorf("%s wrote outside", u)
		}
	}
}

package content

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// runExample runs an example script the way DevSandbox does (cwd and
// $OVERLAY = out) with extra environment, and returns its output.
func runExample(t *testing.T, name, out string, env ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join("..", "..", "examples", "overlays", name))
	abs, _ := filepath.Abs(filepath.Join("..", "..", "examples", "overlays", name))
	cmd.Args[1] = abs
	cmd.Dir = out
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "OVERLAY=" + out}, env...)
	b, err := cmd.CombinedOutput()
	return string(b), err
}

func needTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s on PATH (the example script uses it)", tool)
		}
	}
}

func TestExampleCompetitiveRework(t *testing.T) {
	needTools(t, "curl", "tar")
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	tw := tar.NewWriter(zw)
	for name, body := range map[string]string{
		"L4D2-Competitive-Rework-master/README.md":                                "docs",
		"L4D2-Competitive-Rework-master/Dedicated Server Install Guide/README.md": "guide",
		"L4D2-Competitive-Rework-master/addons/sourcemod/plugins/optional/a.smx":  "smx",
		"L4D2-Competitive-Rework-master/cfg/cfgogl/zonemod/confogl.cfg":           "cfg",
		"L4D2-Competitive-Rework-master/scripts/vscripts/x.nut":                   "nut",
		"L4D2-Competitive-Rework-master/.github/workflows/check_plugins.yml":      "ci",
	} {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg})
		tw.Write([]byte(body))
	}
	tw.Close()
	zw.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/SirPlease/L4D2-Competitive-Rework/tar.gz/master" {
			http.NotFound(w, r)
			return
		}
		w.Write(b.Bytes())
	}))
	defer srv.Close()
	out := t.TempDir()
	log, err := runExample(t, "competitive-rework.sh", out, "CODELOAD="+srv.URL)
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	for _, f := range []string{"left4dead2/addons/sourcemod/plugins/optional/a.smx", "left4dead2/cfg/cfgogl/zonemod/confogl.cfg", "left4dead2/scripts/vscripts/x.nut"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("%v\n%s", err, log)
		}
	}
	for _, f := range []string{"left4dead2/README.md", "left4dead2/Dedicated Server Install Guide", "left4dead2/.github"} {
		if _, err := os.Stat(filepath.Join(out, f)); err == nil {
			t.Errorf("%s copied into the layer", f)
		}
	}
}

func TestExampleTickrate(t *testing.T) {
	needTools(t, "curl", "unzip")
	var z bytes.Buffer
	zw := zip.NewWriter(&z)
	for name, body := range map[string]string{"addons/tickrate_enabler.so": "ELF", "addons/tickrate_enabler.vdf": "\"Plugin\" {}"} {
		f, _ := zw.Create(name)
		f.Write([]byte(body))
	}
	zw.Close()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/release":
			fmt.Fprintf(w, `{"tag_name":"1.6","assets":[{"name":"src.tar.gz","browser_download_url":"%s/src.tar.gz"},{"name":"Tickrate-Enabler.zip","browser_download_url": "%s/te.zip"}]}`, srv.URL, srv.URL)
		case "/te.zip":
			w.Write(z.Bytes())
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	out := t.TempDir()
	log, err := runExample(t, "tickrate.sh", out, "RELEASE_API="+srv.URL+"/release", "TICKRATE=128")
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	cfg, err := os.ReadFile(filepath.Join(out, "left4dead2/cfg/tickrate.cfg"))
	if err != nil || !strings.Contains(string(cfg), "sv_maxupdaterate 128") || !strings.Contains(string(cfg), "sv_maxrate 128000") {
		t.Errorf("tickrate.cfg = %q, %v", cfg, err)
	}
	if _, err := os.Stat(filepath.Join(out, "left4dead2/addons/tickrate_enabler.so")); err != nil {
		t.Error(err)
	}
	if log, err := runExample(t, "tickrate.sh", t.TempDir(), "RELEASE_API="+srv.URL+"/release", "TICKRATE=fast"); err == nil {
		t.Errorf("TICKRATE=fast accepted:\n%s", log)
	}
}

func TestExampleWorkshopCollection(t *testing.T) {
	needTools(t, "curl", "jq")
	var mu sync.Mutex
	downloads := map[string]int{}
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		switch r.URL.Path {
		case "/ISteamRemoteStorage/GetCollectionDetails/v1/":
			if r.PostForm.Get("publishedfileids[0]") != "500" {
				http.Error(w, "bad", 400)
				return
			}
			fmt.Fprint(w, `{"response":{"result":1,"resultcount":1,"collectiondetails":[{"publishedfileid":"500","result":1,"children":[
				{"publishedfileid":"501","sortorder":1,"filetype":0},{"publishedfileid":"502","sortorder":2,"filetype":0},{"publishedfileid":"503","sortorder":3,"filetype":0}]}]}}`)
		case "/ISteamRemoteStorage/GetPublishedFileDetails/v1/":
			if r.PostForm.Get("itemcount") != "3" {
				http.Error(w, "bad count", 400)
				return
			}
			fmt.Fprintf(w, `{"response":{"result":1,"resultcount":3,"publishedfiledetails":[
				{"publishedfileid":"501","result":1,"banned":0,"file_size":5,"time_updated":100,"file_url":"%[1]s/f/501","title":"Map One"},
				{"publishedfileid":"502","result":1,"banned":1,"file_size":5,"time_updated":100,"file_url":"%[1]s/f/502","title":"Banned"},
				{"publishedfileid":"503","result":1,"banned":0,"file_size":3,"time_updated":100,"file_url":"%[1]s/f/503","title":"Map\tThree"}]}}`, srv.URL)
		case "/f/501", "/f/503":
			mu.Lock()
			downloads[r.URL.Path]++
			mu.Unlock()
			if r.URL.Path == "/f/501" {
				w.Write([]byte("VPK01"))
			} else {
				w.Write([]byte("VPK"))
			}
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	out := t.TempDir()
	env := []string{"STEAM_API=" + srv.URL, "COLLECTION_ID=500"}
	log, err := runExample(t, "workshop-collection.sh", out, env...)
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	dir := filepath.Join(out, "left4dead2/addons/workshop")
	for id, want := range map[string]string{"501": "VPK01", "503": "VPK"} {
		if b, _ := os.ReadFile(filepath.Join(dir, id+".vpk")); string(b) != want {
			t.Errorf("%s.vpk = %q\n%s", id, b, log)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "502.vpk")); err == nil {
		t.Error("banned item downloaded")
	}
	// Incremental: a second run downloads nothing new.
	log, err = runExample(t, "workshop-collection.sh", out, env...)
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	if downloads["/f/501"] != 1 || downloads["/f/503"] != 1 {
		t.Errorf("downloads = %v (want one each)\n%s", downloads, log)
	}
	if log, err := runExample(t, "workshop-collection.sh", t.TempDir(), "STEAM_API="+srv.URL); err == nil || !strings.Contains(log, "COLLECTION_ID") {
		t.Errorf("no collection: %v\n%s", err, log)
	}
}

func TestExampleMapPack(t *testing.T) {
	needTools(t, "curl", "md5sum", "7z")
	src := t.TempDir()
	maps := map[string]string{"widebox1.vpk": "WIDEBOX", "dark carnival remix.vpk": "REMIX"}
	archives := map[string][]byte{}
	var csv strings.Builder
	csv.WriteString("Name;Size;MD5;DownloadLink\n")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/index.csv" {
			fmt.Fprint(w, csv.String())
			return
		}
		b, ok := archives[strings.TrimPrefix(r.URL.Path, "/maps/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	}))
	defer srv.Close()
	for name, body := range maps {
		os.WriteFile(filepath.Join(src, name), []byte(body), 0o644)
		arch := strings.TrimSuffix(name, ".vpk") + ".7z"
		if out, err := exec.Command("7z", "a", "-bd", filepath.Join(src, arch), filepath.Join(src, name)).CombinedOutput(); err != nil {
			t.Fatalf("7z: %v\n%s", err, out)
		}
		archives[arch], _ = os.ReadFile(filepath.Join(src, arch))
		sum := md5.Sum([]byte(body))
		fmt.Fprintf(&csv, "%s;%d;%s;%s/maps/%s\r\n", name, len(body), hex.EncodeToString(sum[:]), srv.URL, arch)
	}
	out := t.TempDir()
	log, err := runExample(t, "l4d2center-maps.sh", out, "INDEX_URL="+srv.URL+"/index.csv")
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	for name, body := range maps {
		if b, _ := os.ReadFile(filepath.Join(out, "left4dead2/addons", name)); string(b) != body {
			t.Errorf("%s = %q\n%s", name, b, log)
		}
	}
	// Second run with a narrower selection: up to date, and the other map goes.
	log, err = runExample(t, "l4d2center-maps.sh", out, "INDEX_URL="+srv.URL+"/index.csv", "MAPS=widebox1.vpk")
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	if !strings.Contains(log, "widebox1.vpk is up to date") {
		t.Errorf("second run:\n%s", log)
	}
	if _, err := os.Stat(filepath.Join(out, "left4dead2/addons/dark carnival remix.vpk")); err == nil {
		t.Errorf("unwanted map kept\n%s", log)
	}
}

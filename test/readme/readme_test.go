package readme

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/process"
)

// readmePath is the README, relative to this package.
const readmePath = "../../README.md"

// block is one ```sh block of the README.
type block struct {
	line   int    // where it starts
	marker string // the readme-test comment before it, without the prefix
	text   string
}

var markerLine = regexp.MustCompile(`^<!-- readme-test: (.*) -->$`)

// shellBlocks reads the README's ```sh blocks with their markers.
func shellBlocks(readme string) []block {
	var out []block
	lines := strings.Split(readme, "\n")
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != "```sh" {
			continue
		}
		b := block{line: i + 1}
		for j := i - 1; j >= 0; j-- {
			if t := strings.TrimSpace(lines[j]); t != "" {
				if m := markerLine.FindStringSubmatch(t); m != nil {
					b.marker = m[1]
				}
				break
			}
		}
		var body []string
		for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "```"; i++ {
			body = append(body, lines[i])
		}
		b.text = strings.Join(body, "\n") + "\n"
		out = append(out, b)
	}
	return out
}

// TestShellBlocksAreFound guards the parser: the README has blocks of
// every kind and every marker is one the test knows.
func TestShellBlocksAreFound(t *testing.T) {
	raw, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, b := range shellBlocks(string(raw)) {
		kinds[kindOf(b)]++
		if kindOf(b) == "unknown" {
			t.Errorf("README line %d: unknown marker %q", b.line, b.marker)
		}
	}
	for _, k := range []string{"demo", "run", "production", "stand-ins"} {
		if kinds[k] == 0 {
			t.Errorf("no %s block found (%v)", k, kinds)
		}
	}
}

// kindOf names what the test does with a block.
func kindOf(b block) string {
	switch {
	case b.marker == "":
		return "run"
	case b.marker == "production host":
		return "production"
	case strings.HasPrefix(b.marker, "starts the demo"):
		return "demo"
	case strings.HasPrefix(b.marker, "stand-ins for "):
		return "stand-ins"
	}
	return "unknown"
}

// TestREADMEShellBlocks starts the demo as the README's first command does
// and runs every block not marked for production hosts against it, in
// order; a block that fails (set -e, pipefail, curl --fail-with-body)
// fails the test with its output.
func TestREADMEShellBlocks(t *testing.T) {
	if testing.Short() {
		t.Skip("builds left4me and runs the demo")
	}
	if err := process.CanMount(); err != nil {
		t.Skipf("the demo needs overlay mounts (root or user namespaces): %v", err)
	}
	for _, tool := range []string{"go", "bash", "make", "curl", "tar"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the README's commands need %s: %v", tool, err)
		}
	}
	raw, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	blocks := shellBlocks(string(raw))
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	demoDir := filepath.Join(work, "left4me-demo")
	home := filepath.Join(work, "home")
	if err := os.MkdirAll(home, 0o755); err != nil {
		t.Fatal(err)
	}

	var demo block
	for _, b := range blocks {
		if kindOf(b) == "demo" {
			demo = b
		}
	}
	first, _, _ := strings.Cut(demo.text, "#")
	if strings.TrimSpace(first) != "go run ./cmd/left4me demo" {
		t.Fatalf("the README's demo block (line %d) does not start with `go run ./cmd/left4me demo`:\n%s", demo.line, demo.text)
	}
	panel, password := startDemo(t, repo, demoDir)
	token := apiToken(t, panel, password)

	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + home, "TOKEN=" + token, "LANG=C.UTF-8",
	}
	for _, v := range []string{"GOCACHE", "GOMODCACHE", "GOPATH", "GOFLAGS", "GOTOOLCHAIN"} {
		out, err := exec.Command("go", "env", v).Output()
		if err != nil {
			t.Fatal(err)
		}
		env = append(env, v+"="+strings.TrimSpace(string(out)))
	}
	state := filepath.Join(work, "exports.sh")
	if err := os.WriteFile(state, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	ran := 0
	for _, b := range blocks {
		switch kindOf(b) {
		case "production":
			t.Logf("README line %d: for production hosts, not run", b.line)
			continue
		case "demo":
			continue
		case "stand-ins":
			writeStandIns(t, home, strings.Fields(strings.TrimPrefix(b.marker, "stand-ins for ")))
		}
		script := strings.NewReplacer(
			"http://127.0.0.1:8000", strings.TrimSuffix(panel, "/"),
			"$PWD/left4me-demo", demoDir,
		).Replace(b.text)
		full := "set -euo pipefail\n. " + state + "\n" + script + "\nexport -p > " + state + "\n"
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		cmd := exec.CommandContext(ctx, "bash", "-c", full)
		cmd.Dir, cmd.Env = repo, env
		out, err := cmd.CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("README line %d: the block failed: %v\n--- block:\n%s--- output:\n%s", b.line, err, b.text, out)
		}
		t.Logf("README line %d: ran (%d lines of output)", b.line, bytes.Count(out, []byte("\n")))
		ran++
	}
	if ran < 3 {
		t.Errorf("only %d blocks ran", ran)
	}
}

// startDemo runs `go run ./cmd/left4me demo` in its own process group with
// the directory and a free port, and returns the panel's address and the
// admin password it prints. The demo is stopped (Ctrl-C) at the end.
func startDemo(t *testing.T, repo, dir string) (panel, password string) {
	t.Helper()
	cmd := exec.Command("go", "run", "./cmd/left4me", "demo", "--dir", dir, "--listen", "127.0.0.1:0")
	cmd.Dir = repo
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	})
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var seen []string
	deadline := time.After(5 * time.Minute)
	for panel == "" || password == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("the demo ended before it was ready:\n%s\n%s", strings.Join(seen, "\n"), stderr.String())
			}
			seen = append(seen, l)
			if u, ok := strings.CutPrefix(l, "left4me demo is running at "); ok {
				panel = strings.TrimSpace(u)
			}
			if p, ok := strings.CutPrefix(strings.TrimSpace(l), "password:"); ok {
				password = strings.TrimSpace(p)
			}
		case <-deadline:
			t.Fatalf("the demo was not ready within 5 minutes:\n%s\n%s", strings.Join(seen, "\n"), stderr.String())
		}
	}
	go func() {
		for range lines {
		}
	}()
	return panel, password
}

var (
	csrfInput = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)
	newToken  = regexp.MustCompile(`id="new-token">([^<]+)<`)
)

// apiToken logs in as admin and makes an API token on the account page,
// as the README tells a reader to.
func apiToken(t *testing.T, panel, password string) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	get := func(path string) string {
		resp, err := c.Get(panel + strings.TrimPrefix(path, "/"))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	post := func(path string, form url.Values) string {
		resp, err := c.PostForm(panel+strings.TrimPrefix(path, "/"), form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	m := csrfInput.FindStringSubmatch(get("/login"))
	if m == nil {
		t.Fatal("the login page has no CSRF token")
	}
	post("/login", url.Values{"username": {"admin"}, "password": {password}, "csrf_token": {m[1]}})
	if m = csrfInput.FindStringSubmatch(get("/account")); m == nil {
		t.Fatal("not logged in: the account page has no form")
	}
	page := post("/account/tokens", url.Values{"name": {"readme"}, "csrf_token": {m[1]}})
	if m = newToken.FindStringSubmatch(page); m == nil {
		t.Fatalf("no new token on the account page:\n%s", page)
	}
	return m[1]
}

// writeStandIns writes small stand-ins of the files a block names under
// ~ (home): a .tar.gz with an addons/NAME/ folder, else a few bytes.
func writeStandIns(t *testing.T, home string, names []string) {
	t.Helper()
	for _, n := range names {
		p := filepath.Join(home, strings.TrimPrefix(n, "~/"))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		data := []byte("stand-in for " + n + "\n")
		if strings.HasSuffix(n, ".tar.gz") {
			base := strings.TrimSuffix(filepath.Base(n), ".tar.gz")
			data = tarGz(t, map[string]string{"addons/" + base + "/README.txt": "stand-in\n", "addons/" + base + ".vdf": "\"Plugin\" {}\n"})
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func tarGz(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for name, text := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(text)), Typeflag: tar.TypeReg, ModTime: time.Now()}); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, text); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

package web

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/left4me/left4me/internal/auth"
)

// loginLoadChildEnv makes TestLoginLoadChild serve a panel for
// TestConcurrentLoginsBoundMemory, which measures that process's peak RSS.
const loginLoadChildEnv = "LEFT4ME_TEST_LOGIN_LOAD_CHILD"

// TestLoginLoadChild is not a test on its own: run by
// TestConcurrentLoginsBoundMemory in a process of its own, it serves a panel,
// prints its URL and waits until its standard input closes.
func TestLoginLoadChild(t *testing.T) {
	if os.Getenv(loginLoadChildEnv) != "1" {
		t.Skip("helper process of TestConcurrentLoginsBoundMemory")
	}
	// Login limits high enough that every login reaches the hasher: this
	// measures the hasher's bound, not the per-address limit's.
	e := newEnvWith(t, func(e *env, cfg *Config) {
		cfg.Login = auth.NewLoginThrottle(auth.LoginLimits{PerAddress: 1000, Global: 1000})
	})
	e.user("admin", true)
	fmt.Println("URL", e.ts.URL)
	_, _ = io.Copy(io.Discard, os.Stdin)
}

// TestConcurrentLoginsBoundMemory: 32 concurrent logins with made-up names
// (argon2id, 64 MiB each) keep the panel's peak RSS under 400 MiB, and
// every one is answered 401 or 503 (never a 500).
func TestConcurrentLoginsBoundMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a panel process and 32 logins")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	child := exec.Command(exe, "-test.run=^TestLoginLoadChild$", "-test.count=1")
	child.Env = append(os.Environ(), loginLoadChildEnv+"=1")
	stdin, err := child.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	child.Stderr = os.Stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close()
		child.Wait()
	}()
	var base string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "URL "); ok {
			base = u
			break
		}
	}
	if base == "" {
		t.Fatal("the panel process printed no URL")
	}
	go io.Copy(io.Discard, stdout)

	codes := make(chan int, 32)
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			jar, _ := cookiejar.New(nil)
			hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			resp, err := hc.Get(base + "/login")
			if err != nil {
				t.Error(err)
				return
			}
			page, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			m := loginToken.FindSubmatch(page)
			if m == nil {
				t.Error("login page without CSRF token")
				return
			}
			resp, err = hc.PostForm(base+"/login", url.Values{
				"username": {"made-up-" + strconv.Itoa(i)}, "password": {"wrong password"}, "csrf_token": {string(m[1])}})
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			codes <- resp.StatusCode
		}()
	}
	wg.Wait()
	close(codes)
	count := map[int]int{}
	for c := range codes {
		count[c]++
	}
	for c, n := range count {
		if c != http.StatusUnauthorized && c != http.StatusServiceUnavailable {
			t.Errorf("%d logins answered %d, want 401 or 503", n, c)
		}
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", child.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	var peakKiB int
	for _, l := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			peakKiB, _ = strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		}
	}
	t.Logf("answers %v; panel peak RSS %d MiB", count, peakKiB/1024)
	if peakKiB == 0 || peakKiB > 400*1024 {
		t.Fatalf("panel peak RSS %d MiB after 32 concurrent logins, want under 400 MiB", peakKiB/1024)
	}
}

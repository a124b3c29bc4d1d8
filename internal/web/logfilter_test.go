package web

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// noisyLogs is a console where the panel's status polls outnumber
// everything else, as on a real server (docs/srcds.md §8 "Log files").
type noisyLogs struct{}

func pollLine(i int) string {
	return fmt.Sprintf(`L 11/30/2026 - 18:00:%02d: rcon from "127.0.0.1:%d": command "status"`, i%60, 20000+i)
}

func (noisyLogs) Tail(ctx context.Context, name string, n int) ([]string, error) {
	var all []string
	for i := range 40 {
		all = append(all, pollLine(i))
		if i%10 == 9 {
			all = append(all, fmt.Sprintf("kept line %d", i/10))
		}
		all = append(all, fmt.Sprintf(`rcon from "127.0.0.1:%d": command "status"`, 50000+i))
	}
	return all[max(0, len(all)-n):], nil
}

func (noisyLogs) Follow(ctx context.Context, name string, fn func(string)) error {
	fn(pollLine(1))
	fn(`L 11/30/2026 - 18:00:02: rcon from "127.0.0.1:20001": command "kick Nick"`)
	fn(pollLine(2))
	fn("followed marker")
	<-ctx.Done()
	return ctx.Err()
}

func TestConsoleViewsHidePollNoise(t *testing.T) {
	e := newEnvWith(t, func(e *env, cfg *Config) { cfg.Logs = noisyLogs{} })
	u := e.quickUser("alice", false)
	e.mustCreate("alpha", u)
	c := e.as(u)

	_, body := c.get("/api/v1/instances/alpha/logs?n=3")
	var got struct{ Lines []string }
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	if want := []string{"kept line 1", "kept line 2", "kept line 3"}; !slices.Equal(got.Lines, want) {
		t.Errorf("log API: %q, want %q", got.Lines, want)
	}
	_, page := c.get("/instances/alpha")
	if strings.Contains(page, `command &#34;status&#34;`) || strings.Contains(page, `command "status"`) || !strings.Contains(page, "kept line 3") {
		t.Errorf("the instance page shows poll noise or lacks the console:\n%s", page)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.ts.URL+"/instances/alpha/logs/stream", nil)
	resp, err := c.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var stream strings.Builder
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		stream.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), "followed marker") {
			break
		}
	}
	s := stream.String()
	if strings.Contains(s, `command "status"`) || !strings.Contains(s, `command "kick Nick"`) || !strings.Contains(s, "kept line 3") {
		t.Errorf("log stream:\n%s", s)
	}
}

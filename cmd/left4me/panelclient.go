package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/views"
	"github.com/left4me/left4me/internal/web"
)

// panelAPI talks to the panel (serve or demo) running for the CLI's
// state root, over its local socket (listenPanelSocket): that panel's
// supervisor runs the servers, so it, not a guess of this process, knows
// their states and consoles (docs/operations.md §2).
type panelAPI struct {
	http   *http.Client
	socket string
	// supervisor is what runs the panel's servers: "systemd", or
	// "process" (they are the panel's children, and only it can act on
	// them).
	supervisor string
}

// ownsServers reports whether only the panel can act on its servers: with
// the process supervisor they are its children. With systemd the CLI
// starts, stops and sends RCON itself, as it does without a panel.
func (p *panelAPI) ownsServers() bool { return p != nil && p.supervisor == supervisorProcess }

// dialPanel returns the client of the panel running for cfg's state root,
// or nil when none answers on its socket (none runs, or a dead one left
// the socket, or this user may not reach it).
func dialPanel(ctx context.Context, cfg Config) *panelAPI {
	path := cfg.Root.PanelSocket()
	var d net.Dialer
	dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	c, err := d.DialContext(dctx, "unix", path)
	if err != nil {
		return nil
	}
	c.Close()
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
		DisableCompression: true,
	}
	p := &panelAPI{http: &http.Client{Transport: tr}, socket: path}
	var who struct {
		Supervisor string `json:"supervisor"`
	}
	if err := p.call(dctx, http.MethodGet, web.LocalPanelPath, &who); err != nil {
		return nil
	}
	p.supervisor = who.Supervisor
	return p
}

// panelError is an error answer of the panel: its message and field.
type panelError struct {
	status int
	msg    string
}

func (e *panelError) Error() string { return e.msg }

// Unwrap lets a 404 read as instance.ErrNotFound.
func (e *panelError) Unwrap() error {
	if e.status == http.StatusNotFound {
		return instance.ErrNotFound
	}
	return nil
}

// request sends method path and returns the response of a 2xx answer; any
// other is the panel's error (a FieldError when it names a field).
func (p *panelAPI) request(ctx context.Context, method, path string) (*http.Response, error) {
	return p.send(ctx, method, path, nil)
}

// send is request with a JSON body (nil: none).
func (p *panelAPI) send(ctx context.Context, method, path string, body any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://left4me-panel"+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := p.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("ask the running panel (%s): %w", p.socket, err)
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	var e struct {
		Error string `json:"error"`
		Field string `json:"field"`
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if json.Unmarshal(b, &e) != nil || e.Error == "" {
		e.Error = fmt.Sprintf("the running panel answered %s to %s %s", resp.Status, method, path)
	}
	perr := &panelError{status: resp.StatusCode, msg: e.Error}
	if e.Field != "" {
		return nil, &instance.FieldError{Field: e.Field, Err: perr}
	}
	return nil, perr
}

// call sends method path and decodes the JSON answer into out.
func (p *panelAPI) call(ctx context.Context, method, path string, out any) error {
	resp, err := p.request(ctx, method, path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("read the running panel's answer to %s %s: %w", method, path, err)
	}
	return nil
}

func instancePath(name string) string { return "/api/v1/instances/" + url.PathEscape(name) }

// Instances is GET /api/v1/instances.
func (p *panelAPI) Instances(ctx context.Context) ([]views.Instance, error) {
	var out struct {
		Instances []views.Instance `json:"instances"`
	}
	if err := p.call(ctx, http.MethodGet, "/api/v1/instances", &out); err != nil {
		return nil, err
	}
	return out.Instances, nil
}

// Instance is GET /api/v1/instances/NAME.
func (p *panelAPI) Instance(ctx context.Context, name string) (views.Instance, error) {
	var v views.Instance
	err := p.call(ctx, http.MethodGet, instancePath(name), &v)
	return v, err
}

// Do is POST /api/v1/instances/NAME/ACTION.
func (p *panelAPI) Do(ctx context.Context, action instance.Action, name string) error {
	return p.call(ctx, http.MethodPost, instancePath(name)+"/"+action.String(), nil)
}

// RCON is POST /api/v1/instances/NAME/rcon: the panel's console sends
// command and answers the reply.
func (p *panelAPI) RCON(ctx context.Context, name, command string) (string, error) {
	resp, err := p.send(ctx, http.MethodPost, instancePath(name)+"/rcon", map[string]string{"command": command})
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct {
		Response string `json:"response"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return "", fmt.Errorf("read the running panel's reply to the command: %w", err)
	}
	return out.Response, nil
}

// Tail is GET /api/v1/instances/NAME/logs?n=N.
func (p *panelAPI) Tail(ctx context.Context, name string, n int) ([]string, error) {
	if n == 0 {
		return nil, nil
	}
	var out struct {
		Lines []string `json:"lines"`
	}
	err := p.call(ctx, http.MethodGet, instancePath(name)+"/logs?n="+strconv.Itoa(n), &out)
	return out.Lines, err
}

// Follow prints the last n lines of NAME's console and then every new line
// as it comes, from the panel's console stream, until ctx ends or the log
// does. The stream sends its tail first, ended by a "live" event.
func (p *panelAPI) Follow(ctx context.Context, name string, n int, fn func(string)) error {
	resp, err := p.request(ctx, http.MethodGet, "/instances/"+url.PathEscape(name)+"/logs/stream")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	var tail []string
	live, event := false, ""
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			event = ""
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
			switch event {
			case "live":
				live = true
				for _, l := range tail[max(0, len(tail)-n):] {
					fn(l)
				}
				tail = nil
			case "end":
				return nil
			case "reset":
				tail = nil
			}
		case strings.HasPrefix(line, "data: ") && event == "":
			data := strings.TrimPrefix(line, "data: ")
			if live {
				fn(data)
			} else {
				tail = append(tail, data)
			}
		}
	}
	if err := sc.Err(); err != nil && !errors.Is(err, context.Canceled) && ctx.Err() == nil {
		return fmt.Errorf("follow the console of %s: %w", name, err)
	}
	return nil
}

// panel returns the client of the panel running for the command's state
// root, or nil when none answers.
func (e *cliEnv) panel(ctx context.Context) (*panelAPI, error) {
	cfg, err := e.config()
	if err != nil {
		return nil, err
	}
	return dialPanel(ctx, cfg), nil
}

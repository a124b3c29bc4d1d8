package doctor

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// DefaultListen is the panel's default address (LEFT4ME_LISTEN).
const DefaultListen = "127.0.0.1:8000"

// healthURL turns a listen address into the URL of /health; a wildcard
// address is reached on loopback.
func healthURL(listen string) (string, error) {
	if listen == "" {
		listen = DefaultListen
	}
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", fmt.Errorf("LEFT4ME_LISTEN %q: want host:port: %w", listen, err)
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/health", nil
}

// CheckWeb: the web unit answers GET /health on LEFT4ME_LISTEN.
func (d *Doctor) CheckWeb(ctx context.Context) Result {
	const name = "web"
	url, err := healthURL(d.Config.Listen)
	if err != nil {
		return fail(name, err.Error(), "fix LEFT4ME_LISTEN in /etc/left4me/web.env")
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fail(name, err.Error(), "fix LEFT4ME_LISTEN in /etc/left4me/web.env")
	}
	client := d.HTTP
	if client == nil {
		client = http.DefaultClient
	}
	fix := "systemctl status left4me-web.service; journalctl -u left4me-web.service (LEFT4ME_LISTEN must be the address it listens on)"
	resp, err := client.Do(req)
	if err != nil {
		return fail(name, fmt.Sprintf("GET %s: %v", url, err), fix)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fail(name, fmt.Sprintf("GET %s: %s %s", url, resp.Status, oneLine(string(body))), fix)
	}
	return ok(name, fmt.Sprintf("GET %s: %s %s", url, resp.Status, oneLine(string(body))))
}

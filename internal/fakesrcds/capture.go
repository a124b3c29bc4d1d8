package fakesrcds

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Console collects a stand-in server's console output (Config.Stdout) for
// tests that read it while the server runs. It is safe for concurrent use.
type Console struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends console output.
func (c *Console) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.b.Write(p)
}

// String is everything written so far.
func (c *Console) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.b.String()
}

// Count is how often s occurs in what was written so far.
func (c *Console) Count(s string) int { return strings.Count(c.String(), s) }

// StartInTree writes a stand-in installation into dir with serverCfg as its
// left4dead2/cfg/server.cfg and starts a server there, in process, with
// args as its command line and out as its console.
func StartInTree(ctx context.Context, dir, serverCfg string, args []string, out *Console) (*Server, error) {
	if err := WriteInstallation(dir, ""); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "left4dead2", "cfg", "server.cfg"), []byte(serverCfg), 0o644); err != nil {
		return nil, fmt.Errorf("write server.cfg: %w", err)
	}
	return Start(ctx, Config{Dir: dir, Args: args, Stdout: out})
}

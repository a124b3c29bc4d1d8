package process

import (
	"fmt"
	"path/filepath"
	"strconv"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/overlay"
)

// serverArgv is the server's command line for an instance whose merged view
// is merged: the srcds_run command line that the ExecStart= of
// deploy/systemd/left4me-server@.service runs through `left4me exec-server`
// (TestArgvMatchesUnit compares them), with ip in place of 0.0.0.0.
//
// -norestart makes a crash end srcds_run, so the supervisor sees it;
// -strictportbind keeps a taken game port from moving; -nohltv and
// +clientport keep the server inside its port block (docs/srcds.md §8).
func serverArgv(merged, ip string, env overlay.Env) ([]string, error) {
	if env.ClientPort == 0 {
		// NOTE: the unit would pass an empty +clientport; refuse instead.
		return nil, fmt.Errorf("instance.env has no %s (written before port blocks); start the instance through left4me to rewrite it", overlay.KeyClientPort)
	}
	argv := []string{
		filepath.Join(merged, "srcds_run"),
		"-game", "left4dead2", "-norestart", "-strictportbind", "-nohltv",
		"+ip", ip,
		"+hostport", strconv.Itoa(env.Port),
		"+clientport", strconv.Itoa(env.ClientPort),
		"+exec", instance.LaunchCfgName,
	}
	return append(argv, env.Args...), nil
}

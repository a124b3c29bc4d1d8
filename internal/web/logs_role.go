package web

import (
	"context"

	"github.com/left4me/left4me/internal/roles"
	"github.com/left4me/left4me/internal/srcds"
)

// logsFor is the console log as rl may read it: whole with roles.Console;
// without it the server's records of RCON commands (srcds.IsRCONLog) are
// left out, since they are the console history that role may not read.
// Nil when the panel has no logs.
func (s *Server) logsFor(rl role) LogReader {
	if s.cfg.Logs == nil || rl.May(roles.Console) {
		return s.cfg.Logs
	}
	return noRCONLogs{s.cfg.Logs}
}

// noRCONLogs drops the RCON lines of a log reader.
type noRCONLogs struct{ LogReader }

// Tail returns the last n lines without the RCON lines among them.
func (l noRCONLogs) Tail(ctx context.Context, name string, n int) ([]string, error) {
	lines, err := l.LogReader.Tail(ctx, name, n)
	if err != nil {
		return nil, err
	}
	kept := lines[:0:0]
	for _, line := range lines {
		if !srcds.IsRCONLog(line) {
			kept = append(kept, line)
		}
	}
	return kept, nil
}

// Follow calls fn with each new line that is not an RCON line.
func (l noRCONLogs) Follow(ctx context.Context, name string, fn func(line string)) error {
	return l.LogReader.Follow(ctx, name, func(line string) {
		if !srcds.IsRCONLog(line) {
			fn(line)
		}
	})
}

package process

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/layout"
)

// clockTicks is the kernel's USER_HZ, the unit of the CPU times in
// /proc/PID/stat: 100 on every Linux architecture left4me builds for
// (sysconf(_SC_CLK_TCK) needs cgo).
const clockTicks = 100

// Usage reports the CPU time and resident memory of the instance's server:
// the sum over the processes of its process group (srcds_run and the
// engine it runs, or the namespace child's), read from /proc/PID/stat:
// utime+stime plus the waited-for children's cutime+cstime, and rss pages.
// An instance that is not running has instance.UnknownUsage.
func (s *Supervisor) Usage(ctx context.Context, name string) (instance.Usage, error) {
	if err := layout.ValidateName(name); err != nil {
		return instance.UnknownUsage, err
	}
	s.mu.Lock()
	p, ok := s.proc[name]
	pid := 0
	if ok && p.state == instance.Running {
		pid = p.pid
	}
	s.mu.Unlock()
	if pid <= 0 {
		return instance.UnknownUsage, nil
	}
	return groupUsage("/proc", pid)
}

// groupUsage sums the usage of the processes of process group pgid under
// the proc file system at procRoot.
func groupUsage(procRoot string, pgid int) (instance.Usage, error) {
	entries, err := os.ReadDir(procRoot)
	if err != nil {
		return instance.UnknownUsage, fmt.Errorf("read %s: %w", procRoot, err)
	}
	var ticks, pages int64
	found := false
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join(procRoot, e.Name(), "stat"))
		if err != nil {
			continue // gone meanwhile, or not ours to read
		}
		st, err := parseStat(string(b))
		if err != nil || st.pgrp != pgid {
			continue
		}
		found = true
		ticks += st.utime + st.stime + st.cutime + st.cstime
		pages += st.rss
	}
	if !found {
		return instance.UnknownUsage, nil
	}
	return instance.Usage{
		CPU:    time.Duration(ticks) * time.Second / clockTicks,
		Memory: pages * int64(os.Getpagesize()),
	}, nil
}

type procStat struct {
	pgrp                         int
	utime, stime, cutime, cstime int64
	rss                          int64
}

// parseStat reads the fields Usage needs from a /proc/PID/stat line (proc(5)):
// the command name, field 2, is in parentheses and may hold spaces and
// parentheses itself, so the fields are counted after its last ')'.
func parseStat(line string) (procStat, error) {
	i := strings.LastIndexByte(line, ')')
	if i < 0 {
		return procStat{}, errors.New("no command name")
	}
	f := strings.Fields(line[i+1:])
	// f[0] is field 3 (state): field n is f[n-3].
	if len(f) < 22 {
		return procStat{}, errors.New("short stat line")
	}
	num := func(n int) int64 {
		v, _ := strconv.ParseInt(f[n-3], 10, 64)
		return v
	}
	return procStat{pgrp: int(num(5)), utime: num(14), stime: num(15), cutime: num(16), cstime: num(17), rss: num(24)}, nil
}

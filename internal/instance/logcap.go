package instance

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"time"

	"golang.org/x/sys/unix"
)

// Log files. Every `log on`, and every map start while logging, makes the
// server start a new file under left4dead2/logs/ (docs/srcds.md §8 "Log
// files"); the staged server.cfg turns logging on at every map start, so
// without a cap the files pile up in the instance's upper directory for
// ever. PruneLogs keeps the newest of them.

// Default log caps (LEFT4ME_LOG_FILES, LEFT4ME_LOG_MIB).
const (
	DefaultLogFiles = 20
	DefaultLogBytes = 50 << 20
)

// LogCap bounds an instance's log files: the newest Files files, and of
// those only as many as fit in Bytes. Zero values mean the defaults.
type LogCap struct {
	Files int
	Bytes int64
}

func (c LogCap) withDefaults() LogCap {
	if c.Files <= 0 {
		c.Files = DefaultLogFiles
	}
	if c.Bytes <= 0 {
		c.Bytes = DefaultLogBytes
	}
	return c
}

// logFilePattern is what the engine names its log files: L, month, day and
// a three-digit counter (LMMDDNNN.log; a lower-case l is accepted too, the
// engine's case on Linux being unverified).
var logFilePattern = regexp.MustCompile(`^[Ll][0-9]{7}\.log$`)

// logsPath is where the server writes its logs, under upper/ or merged/.
var logsPath = []string{"left4dead2", "logs"}

// PruneLogs removes the oldest log files in base/left4dead2/logs beyond
// the cap and returns their names. base is an instance's upper directory
// (not mounted) or its merged view (mounted): never upper/ under a mount
// (docs/lifecycle.md rules 8 and 12).
//
// Only regular files named like log files count; anything else is left
// alone. No symbolic link is followed: the server may create anything in
// its upper directory, so each directory below base is opened refusing
// links, and files are examined and removed relative to it. The newest
// file is always kept, whatever its size: a running server is writing it.
// A missing logs directory is fine.
func PruneLogs(base string, c LogCap) ([]string, error) {
	c = c.withDefaults()
	dir, err := openDirNoFollow(base, logsPath...)
	if errors.Is(err, unix.ENOENT) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("prune log files under %s: %w", base, err)
	}
	defer dir.Close()
	names, err := dir.Readdirnames(-1)
	if err != nil {
		return nil, fmt.Errorf("prune log files: read %s: %w", dir.Name(), err)
	}
	type logFile struct {
		name  string
		size  int64
		mtime time.Time
	}
	var files []logFile
	fd := int(dir.Fd())
	for _, name := range names {
		if !logFilePattern.MatchString(name) {
			continue
		}
		var st unix.Stat_t
		if err := unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			if errors.Is(err, unix.ENOENT) {
				continue
			}
			return nil, fmt.Errorf("prune log files: stat %s/%s: %w", dir.Name(), name, err)
		}
		if st.Mode&unix.S_IFMT != unix.S_IFREG {
			continue
		}
		files = append(files, logFile{name: name, size: st.Size, mtime: time.Unix(st.Mtim.Unix())})
	}
	// Newest first: by modification time (the names carry no year), then
	// by name (the day's counter).
	sort.Slice(files, func(i, j int) bool {
		if !files[i].mtime.Equal(files[j].mtime) {
			return files[i].mtime.After(files[j].mtime)
		}
		return files[i].name > files[j].name
	})
	var removed []string
	var total int64
	for i, f := range files {
		total += f.size
		if i == 0 || (i < c.Files && total <= c.Bytes) {
			continue
		}
		if err := unix.Unlinkat(fd, f.name, 0); err != nil && !errors.Is(err, unix.ENOENT) {
			return removed, fmt.Errorf("prune log files: remove %s/%s: %w", dir.Name(), f.name, err)
		}
		removed = append(removed, f.name)
	}
	return removed, nil
}

// openDirNoFollow opens base/elems... as a directory, one element at a
// time, refusing symbolic links below base.
func openDirNoFollow(base string, elems ...string) (*os.File, error) {
	fd, err := unix.Open(base, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", base, err)
	}
	path := base
	for _, e := range elems {
		next, err := unix.Openat(fd, e, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		_ = unix.Close(fd)
		path += "/" + e
		if err != nil {
			if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOTDIR) {
				return nil, fmt.Errorf("open %s: not a directory (a symbolic link is not followed): %w", path, err)
			}
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
		fd = next
	}
	return os.NewFile(uintptr(fd), path), nil
}

// pruneStagedLogs caps the log files in name's upper directory; stage
// calls it before the mount. A failure is logged, not fatal: the server
// starts anyway.
func (s *Service) pruneStagedLogs(name string) {
	removed, err := PruneLogs(s.root.Upper(name), s.cfg.LogCap)
	if err != nil {
		s.log.Warn("cap log files", "instance", name, "err", err)
		return
	}
	if len(removed) > 0 {
		s.log.Info("removed old log files", "instance", name, "files", len(removed))
	}
}

// CapRunningLogs caps the log files of every instance whose overlay this
// process can see mounted, through its merged view (docs/lifecycle.md rule
// 8: nothing writes into upper/ under a live mount); the others are capped
// when they are next staged. An instance busy with another operation is
// skipped until the next call.
//
// NOTE: under systemd the overlay exists only in the unit's own mount
// namespace (docs/lifecycle.md rule 2), so the panel sees no mount there
// and a running instance's files wait for its next start; this reaches the
// process supervisor's mounts (left4me demo).
func (s *Service) CapRunningLogs(ctx context.Context) error {
	all, err := s.st.ListInstances(ctx)
	if err != nil {
		return fmt.Errorf("cap log files: list instances: %w", err)
	}
	var errs []error
	for _, in := range all {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		lctx, cancel := context.WithTimeout(ctx, time.Second)
		unlock, err := s.locks.lock(lctx, in.Name)
		cancel()
		if err != nil {
			continue // busy (starting, stopping): next time
		}
		if isMountPoint(s.root.Merged(in.Name)) {
			removed, err := PruneLogs(s.root.Merged(in.Name), s.cfg.LogCap)
			if err != nil {
				errs = append(errs, fmt.Errorf("instance %s: %w", in.Name, err))
			} else if len(removed) > 0 {
				s.log.Info("removed old log files", "instance", in.Name, "files", len(removed))
			}
		}
		unlock()
	}
	return errors.Join(errs...)
}

package fakesrcds

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Log files, as the engine keeps them (docs/srcds.md §8 "Log files"):
// every "log on" starts a new file under <game>/logs/, named L, the month
// and day, and a three-digit counter that is the first free one of that day
// (LMMDD000.log, LMMDD001.log, ...). A map start with logging on also
// starts a new file unless sv_log_onefile is 1; that part comes from the
// engine's cvar of that name and is unverified for Left 4 Dead 2, as is
// sv_logfile 0 (log to console and UDP only). Each line is the same
// "L MM/DD/YYYY - HH:MM:SS: text" the console and the UDP packets carry.

// logsDir is where log files go, under the mod directory (the engine's
// sv_logsdir default).
const logsDir = "logs"

// maxLogFilesPerDay is how many counters a day has (000–999).
const maxLogFilesPerDay = 1000

// logFile is the open log file, if any.
type logFile struct {
	f    *os.File
	name string // "logs/LMMDDNNN.log", as the "Log file started" line names it
}

// write appends one line; a write error closes the file (the engine, too,
// carries on without it).
func (l *logFile) write(line string) {
	if l.f == nil {
		return
	}
	if _, err := l.f.WriteString(line + "\n"); err != nil {
		l.close()
	}
}

func (l *logFile) close() {
	if l.f != nil {
		_ = l.f.Close()
	}
	l.f, l.name = nil, ""
}

// startLogFileLocked closes the current log file ("Log file closed") and
// starts a new one ("Log file started ..."). With sv_logfile 0 no file is
// written but the lines still go to the console and to UDP.
func (s *Server) startLogFileLocked() {
	if s.file.f != nil {
		s.logLocked("Log file closed")
		s.file.close()
	}
	name := "logs/(none)"
	if s.cvars.int("sv_logfile") != 0 {
		if err := s.file.open(filepath.Join(s.gameDir, logsDir), time.Now()); err != nil {
			s.out.printf("Unable to open log file: %v", err)
		} else {
			name = s.file.name
		}
	}
	s.logLocked(fmt.Sprintf("Log file started (file \"%s\") (game \"%s\") (version \"%s\")", name, s.gameDir, BuildID))
}

// mapLogFileLocked is what a map start does to the log: a new file, unless
// sv_log_onefile keeps the current one.
func (s *Server) mapLogFileLocked() {
	if !s.logging {
		return
	}
	if s.file.f != nil && s.cvars.int("sv_log_onefile") != 0 {
		return
	}
	s.startLogFileLocked()
}

// stopLogFileLocked ends logging to the file ("log off", shutdown).
func (s *Server) stopLogFileLocked() {
	if s.logging {
		s.logLocked("Log file closed")
	}
	s.file.close()
}

// open creates the first free LMMDDNNN.log of now's day in dir.
func (l *logFile) open(dir string, now time.Time) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	for i := range maxLogFilesPerDay {
		base := fmt.Sprintf("L%02d%02d%03d.log", int(now.Month()), now.Day(), i)
		f, err := os.OpenFile(filepath.Join(dir, base), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("create log file %s: %w", base, err)
		}
		l.f, l.name = f, logsDir+"/"+base
		return nil
	}
	return fmt.Errorf("create log file in %s: all %d names of the day are taken", dir, maxLogFilesPerDay)
}

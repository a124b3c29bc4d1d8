package steamcmd

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// WorkshopAppID is the game whose Workshop items are downloaded: Left 4
// Dead 2 (app 550; the dedicated server, 222860, has no Workshop).
const WorkshopAppID = "550"

// WorkshopArgs returns the steamcmd commands that follow +force_install_dir
// for downloading one Workshop item of app 550: anonymous login,
// workshop_download_item and quit.
func WorkshopArgs(id uint64) []string {
	return []string{"+login", "anonymous", "+workshop_download_item", WorkshopAppID, strconv.FormatUint(id, 10), "+quit"}
}

// WorkshopItemDir is where steamcmd puts a downloaded item below its
// +force_install_dir: steamapps/workshop/content/550/<id>/. Valve does not
// document this; it is the layout steamcmd's users report (and the path its
// success line prints), unverified for Left 4 Dead 2 items in particular.
func WorkshopItemDir(installDir string, id uint64) string {
	return filepath.Join(installDir, "steamapps", "workshop", "content", WorkshopAppID, strconv.FormatUint(id, 10))
}

var (
	// Success. Downloaded item 1414531358 to "/home/u/Steam/steamapps/workshop/content/440900/1414531358" (1058089480 bytes)
	itemSuccessRE = regexp.MustCompile(`^Success\. Downloaded item ([0-9]+) to "([^"]*)" \(([0-9]+) bytes\)`)
	// ERROR! Download item 366425329 failed (Failure).
	itemErrorRE = regexp.MustCompile(`^ERROR! Download item ([0-9]+) failed \(([^)]*)\)`)
)

// ItemEvent is what one output line says about a Workshop download.
type ItemEvent struct {
	// ID is the item the line is about; zero for other lines.
	ID uint64
	// OK is set for the success line, which also carries Path (as steamcmd
	// sees it) and Bytes.
	OK    bool
	Path  string
	Bytes int64
	// Reason is the parenthesised cause of a failure line ("Failure",
	// "Timeout", "No Connection", ...).
	Reason string
}

// ParseItemLine reads the success and failure lines of
// workshop_download_item. The wording is the one steamcmd's users quote in
// Valve's steam-for-linux issue tracker (#8956, #12339, and the
// workshop_status report in SteamCMD-Commands-List #8); Valve documents
// none of it.
func ParseItemLine(line string) ItemEvent {
	msg := strings.TrimSpace(strings.Trim(line, "\x00"))
	if m := itemSuccessRE.FindStringSubmatch(msg); m != nil {
		id, err1 := strconv.ParseUint(m[1], 10, 64)
		n, err2 := strconv.ParseInt(m[3], 10, 64)
		if err1 == nil && err2 == nil {
			return ItemEvent{ID: id, OK: true, Path: m[2], Bytes: n}
		}
	}
	if m := itemErrorRE.FindStringSubmatch(msg); m != nil {
		if id, err := strconv.ParseUint(m[1], 10, 64); err == nil {
			return ItemEvent{ID: id, Reason: m[2]}
		}
	}
	return ItemEvent{}
}

// ErrItemFailed is wrapped when steamcmd did not download a Workshop item,
// whatever its exit code said (a failed workshop_download_item does not
// even make steamcmd exit non-zero: steam-for-linux #12339).
var ErrItemFailed = errors.New("steamcmd did not download the Workshop item")

// ErrItemTransient is wrapped, beside ErrItemFailed, when steamcmd's reason
// is one another attempt may cure (Timeout, No Connection, Service
// Unavailable, Busy). "Failure" is not: anonymous downloads of some L4D2
// items are reported to fail that way every time (unverified).
var ErrItemTransient = errors.New("transient steamcmd failure")

// transientReasons are steamcmd's failure reasons worth another attempt.
var transientReasons = []string{"timeout", "no connection", "service unavailable", "busy", "rate limit", "try another cm"}

// ItemError is steamcmd's own failure line for an item. It matches
// ErrItemFailed, and ErrItemTransient when Transient.
type ItemError struct {
	ID        uint64
	Reason    string // "Failure", "Timeout", ...
	Transient bool
}

func (e *ItemError) Error() string {
	return fmt.Sprintf("steamcmd says: ERROR! Download item %d failed (%s)", e.ID, e.Reason)
}

// Is makes errors.Is find ErrItemFailed and, for a transient reason,
// ErrItemTransient.
func (e *ItemError) Is(target error) bool {
	return target == ErrItemFailed || (e.Transient && target == ErrItemTransient)
}

// Item is a Workshop item steamcmd downloaded.
type Item struct {
	// Dir is the item's directory (WorkshopItemDir) as the caller sees it.
	Dir string
	// Bytes is the size steamcmd reported; -1 when it printed none.
	Bytes int64
}

// DownloadItem runs `+workshop_download_item 550 id` through r with
// installDir as +force_install_dir and returns where the item is. Success
// is judged by the output line and the item directory, not the exit code;
// the size steamcmd reports is checked against the files it left.
func DownloadItem(ctx context.Context, r Runner, installDir string, id uint64, logf func(format string, args ...any)) (Item, error) {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	res := Item{Dir: WorkshopItemDir(installDir, id), Bytes: -1}
	var ok bool
	var reason, lastErr string
	runErr := r.Run(ctx, installDir, WorkshopArgs(id), func(line string) {
		msg := strings.TrimSpace(line)
		if msg == "" {
			return
		}
		logf("%s", msg)
		ev := ParseItemLine(msg)
		switch {
		case ev.ID == id && ev.OK:
			ok, res.Bytes = true, ev.Bytes
		case ev.ID == id:
			reason = ev.Reason
		case ParseLine(msg).Kind == EventError:
			lastErr = msg
		}
	})
	if ctx.Err() != nil {
		return res, fmt.Errorf("steamcmd workshop_download_item %d: %w", id, ctx.Err())
	}
	switch {
	case ok && runErr != nil:
		logf("steamcmd reported success but %v; trusting its output", runErr)
	case ok:
	case reason != "":
		err := &ItemError{ID: id, Reason: reason}
		for _, t := range transientReasons {
			if strings.Contains(strings.ToLower(reason), t) {
				err.Transient = true
			}
		}
		return res, err
	case lastErr != "":
		return res, fmt.Errorf("%w: item %d: %s", ErrItemFailed, id, lastErr)
	case runErr != nil:
		return res, fmt.Errorf("%w: item %d: %w", ErrItemFailed, id, runErr)
	default:
		return res, fmt.Errorf("%w: item %d: no success line in its output", ErrItemFailed, id)
	}
	total, err := treeSize(res.Dir)
	if err != nil {
		return res, fmt.Errorf("%w: item %d: steamcmd reported success but %w", ErrItemFailed, id, err)
	}
	if res.Bytes >= 0 && total != res.Bytes {
		return res, fmt.Errorf("%w: item %d: steamcmd reported %d bytes, %s holds %d", ErrItemFailed, id, res.Bytes, res.Dir, total)
	}
	return res, nil
}

// treeSize sums the sizes of the regular files below dir.
func treeSize(dir string) (int64, error) {
	var total int64
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			fi, err := d.Info()
			if err != nil {
				return err
			}
			total += fi.Size()
		}
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return 0, fmt.Errorf("no item directory %s", dir)
	}
	return total, err
}

package systemd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/lines"
)

// FollowAll reads the console lines of every instance, in the journal's
// order, and calls fn with each until ctx is done. It starts after the
// entry at cursor when cursor is not empty, else at since. It returns the
// cursor of the last entry it read (cursor when it read none), so the next
// call resumes exactly there: nothing is read twice and nothing is lost
// between two calls.
//
// It reads with one journalctl process every PollInterval rather than
// with journalctl --follow: on systemd 252 (Debian 12) journalctl --follow
// prints nothing at all when /proc is mounted with ProtectProc=invisible,
// as it is in the panel's unit, while a plain read works
// (docs/platforms.md, "journalctl --follow in the panel's sandbox"). And
// one process for all instances rather than a pair (backlog and follow) per
// running instance renewed every few seconds: with a hundred servers those
// were a steady share of a CPU core and a tenth of the CPU of starting them
// all (docs/lifecycle.md, "Many instances on one host"). journalctl reads
// the whole namespace; the instance is taken from each entry's
// _SYSTEMD_UNIT.
func (j *Journal) FollowAll(ctx context.Context, cursor string, since time.Time, fn func(name, line string)) (string, error) {
	every := j.pollInterval()
	for {
		next, err := j.read(ctx, nil, cursor, since, func(e entry) {
			if name, ok := instanceOfUnit(e.unit); ok {
				fn(name, e.message)
			}
		})
		cursor = next
		if ctx.Err() != nil {
			return cursor, ctx.Err()
		}
		if err != nil {
			return cursor, err
		}
		select {
		case <-ctx.Done():
			return cursor, ctx.Err()
		case <-time.After(every):
		}
	}
}

// read runs one journalctl that prints the entries matching filter after
// cursor (or since) and ends, and returns the cursor of the last entry.
func (j *Journal) read(ctx context.Context, filter []string, cursor string, since time.Time, fn func(entry)) (string, error) {
	cmd := exec.CommandContext(ctx, j.command(), j.readArgs(filter, cursor, since)...)
	cmd.WaitDelay = time.Second
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return cursor, fmt.Errorf("read the journal: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return cursor, fmt.Errorf("read the journal: %w", err)
	}
	last := cursor
	scanErr := lines.Read(out, 4*MaxLineBytes, func(l string) {
		if e, ok := parseEntry(l); ok {
			last = e.cursor
			fn(e)
		}
	})
	waitErr := cmd.Wait()
	if ctx.Err() != nil {
		return last, ctx.Err()
	}
	if scanErr != nil {
		return last, fmt.Errorf("read the journal: %w", scanErr)
	}
	if waitErr != nil {
		return last, fmt.Errorf("read the journal: %w%s", waitErr, stderrSuffix(stderr.String()))
	}
	return last, nil
}

// readArgs are journalctl's arguments for read.
func (j *Journal) readArgs(filter []string, cursor string, since time.Time) []string {
	args := []string{}
	if j.Namespace != "" {
		args = append(args, "--namespace="+j.Namespace)
	}
	args = append(args, filter...)
	args = append(args, "--output=json", "--output-fields=MESSAGE,_SYSTEMD_UNIT", "--no-pager", "--quiet")
	if cursor != "" {
		return append(args, "--after-cursor="+cursor)
	}
	return append(args, "--since=@"+strconv.FormatInt(since.Unix(), 10))
}

// pollInterval is how often FollowAll and Follow read new entries.
func (j *Journal) pollInterval() time.Duration {
	if j.PollInterval <= 0 {
		return time.Second
	}
	return j.PollInterval
}

// entry is what FollowAll needs of one journal entry.
type entry struct {
	cursor, unit, message string
}

// parseEntry decodes one line of journalctl --output=json. MESSAGE is a
// string, or an array of bytes when it is not valid UTF-8 (systemd's
// journal JSON format); an entry without a cursor is not one.
func parseEntry(l string) (entry, bool) {
	var raw struct {
		Cursor  string          `json:"__CURSOR"`
		Unit    string          `json:"_SYSTEMD_UNIT"`
		Message json.RawMessage `json:"MESSAGE"`
	}
	if err := json.Unmarshal([]byte(l), &raw); err != nil || raw.Cursor == "" {
		return entry{}, false
	}
	e := entry{cursor: raw.Cursor, unit: raw.Unit}
	var s string
	var b []byte
	var ints []int
	switch {
	case len(raw.Message) == 0 || string(raw.Message) == "null":
	case json.Unmarshal(raw.Message, &s) == nil:
		e.message = s
	case json.Unmarshal(raw.Message, &ints) == nil:
		b = make([]byte, 0, len(ints))
		for _, c := range ints {
			b = append(b, byte(c))
		}
		e.message = string(b)
	}
	return e, true
}

// instanceOfUnit returns the instance a left4me-server@NAME.service unit
// runs.
func instanceOfUnit(unit string) (string, bool) {
	name, ok := strings.CutPrefix(unit, UnitPrefix)
	if !ok {
		return "", false
	}
	if name, ok = strings.CutSuffix(name, UnitSuffix); !ok || layout.ValidateName(name) != nil {
		return "", false
	}
	return name, true
}

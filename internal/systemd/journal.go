package systemd

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/lines"
)

// MaxLineBytes is the longest journal line delivered whole; longer lines are
// cut.
const MaxLineBytes = 64 << 10

// Journal reads instance console logs with journalctl. When the server unit
// logs to a journal namespace (LogNamespace=), set Namespace so the web user
// needs read access to that namespace only, not to the host's whole journal
// (docs/architecture.md §4).
type Journal struct {
	// Namespace is passed as --namespace= when not empty
	// (LEFT4ME_JOURNAL_NAMESPACE).
	Namespace string
	// Command is the journalctl binary; empty means "journalctl" from PATH.
	Command string
	// PollInterval is how often FollowAll reads new entries (1 s).
	PollInterval time.Duration
}

var _ instance.LogReader = (*Journal)(nil)

// Args returns journalctl's arguments for the last n lines (n >= 0) of
// instance name. Following new lines is Follow's (by cursor, not --follow).
func (j *Journal) Args(name string, n int) []string {
	args := []string{}
	if j.Namespace != "" {
		args = append(args, "--namespace="+j.Namespace)
	}
	args = append(args, "--unit="+UnitName(name), "--output=cat", "--no-pager", "--quiet", "--lines="+strconv.Itoa(n))
	return args
}

func (j *Journal) command() string {
	if j.Command == "" {
		return "journalctl"
	}
	return j.Command
}

// Tail returns up to the last n lines of the instance's log, oldest first.
func (j *Journal) Tail(ctx context.Context, name string, n int) ([]string, error) {
	if err := layout.ValidateName(name); err != nil {
		return nil, err
	}
	if n < 0 {
		n = 0
	}
	cmd := exec.CommandContext(ctx, j.command(), j.Args(name, n)...)
	cmd.WaitDelay = time.Second
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("read journal of %s: %w%s", UnitName(name), err, stderrSuffix(stderr.String()))
	}
	var tail []string
	err = lines.Read(bytes.NewReader(out), MaxLineBytes, func(l string) { tail = append(tail, l) })
	return tail, err
}

// Follow calls fn with each new line of the instance's log until ctx is
// done, and returns ctx's error then, or the reason journalctl failed. It
// reads what is new every PollInterval, by cursor, with a journalctl that
// ends each time: journalctl --follow prints nothing in the panel's
// sandbox on systemd 252 (see FollowAll).
func (j *Journal) Follow(ctx context.Context, name string, fn func(line string)) error {
	if err := layout.ValidateName(name); err != nil {
		return err
	}
	filter := []string{"--unit=" + UnitName(name)}
	since := time.Now()
	cursor := ""
	for {
		next, err := j.read(ctx, filter, cursor, since, func(e entry) {
			// --unit= also matches the lines systemd logs about the unit;
			// the console is the unit's own.
			if e.unit == UnitName(name) {
				fn(e.message)
			}
		})
		cursor = next
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			return fmt.Errorf("follow journal of %s: %w", UnitName(name), err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(j.pollInterval()):
		}
	}
}

func stderrSuffix(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if len(s) > 500 {
		s = s[:500] + "…"
	}
	return ": " + s
}

// Package audit records who changed what in left4me: every state-changing
// request of the panel and the API (one middleware over the route table),
// every CLI verb that changes state, and what schedules and the watchdog do.
//
// An entry says who (a user name, with the API token's id when one was
// used; "schedule"; "watchdog"; "cli:UNIXUSER"), what (an action, a target
// and a summary of the changed fields), when, from where, and how it ended.
// A summary never carries a secret: fields named like passwords, tokens and
// secrets are recorded as changed without their values, and a server.cfg as
// its line count (Summary).
package audit

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/store"
)

// DefaultRetention is how long entries are kept unless configured.
const DefaultRetention = 180 * 24 * time.Hour

// Store is what the log needs from the database (*store.Store).
type Store interface {
	AddAudit(ctx context.Context, e store.AuditEntry) error
	Audit(ctx context.Context, f store.AuditFilter) ([]store.AuditEntry, error)
	PruneAudit(ctx context.Context, before time.Time) (int64, error)
}

// Config tunes a Log.
type Config struct {
	// Retention is how long entries are kept (LEFT4ME_AUDIT_RETENTION);
	// DefaultRetention when zero.
	Retention time.Duration
	Logger    *slog.Logger
	Now       func() time.Time
}

// Log is the audit log.
type Log struct {
	st  Store
	cfg Config
	log *slog.Logger
}

// New returns the log over st.
func New(st Store, cfg Config) *Log {
	if cfg.Retention <= 0 {
		cfg.Retention = DefaultRetention
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Log{st: st, cfg: cfg, log: cfg.Logger}
}

// Record writes an entry for an actor that is not a panel account
// ("schedule", "watchdog", "cli:root"). A target that is an instance name,
// or "instance:NAME", makes the entry visible to that instance's owner. A
// nil result is success. Failing to write is logged, not returned: an
// action is never undone for its record.
func (l *Log) Record(ctx context.Context, actor, action, target, summary string, result error) {
	e := store.AuditEntry{Actor: actor, Action: action, Target: target, Summary: summary}
	if name, ok := strings.CutPrefix(target, "instance:"); ok {
		e.Instance = name
	} else if layout.ValidateName(target) == nil {
		e.Instance = target
	}
	if result != nil {
		e.Result = result.Error()
	}
	l.Write(ctx, e)
}

// Write writes a full entry (the panel's middleware knows the user, the
// token and the address); a zero At is now.
func (l *Log) Write(ctx context.Context, e store.AuditEntry) {
	if e.At.IsZero() {
		e.At = l.cfg.Now()
	}
	// The request may be over; its record is still due.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := l.st.AddAudit(ctx, e); err != nil {
		l.log.Error("write audit entry", "action", e.Action, "target", e.Target, "err", err)
	}
}

// List returns the entries matching f, newest first.
func (l *Log) List(ctx context.Context, f store.AuditFilter) ([]store.AuditEntry, error) {
	return l.st.Audit(ctx, f)
}

// Prune deletes entries older than the retention; the daily GC runs it.
func (l *Log) Prune(ctx context.Context) (string, error) {
	n, err := l.st.PruneAudit(ctx, l.cfg.Now().Add(-l.cfg.Retention))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("pruned %d audit entries older than %v", n, l.cfg.Retention), nil
}

// Retention is the configured retention.
func (l *Log) Retention() time.Duration { return l.cfg.Retention }

// secretWords mark a field whose value is never recorded.
var secretWords = []string{"password", "token", "secret", "key", "rcon"}

// IsSecretField reports whether a field's value must stay out of the log.
func IsSecretField(name string) bool {
	n := strings.ToLower(name)
	for _, w := range secretWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// maxValue bounds one recorded value.
const maxValue = 120

// Summary renders changed fields as "a=1, b=two", sorted by name: a secret
// field as "name=(secret)", a multi-line text (server.cfg, a script) as its
// line count, long values cut. Fields named csrf_token are left out.
func Summary(fields map[string][]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		if k == "csrf_token" {
			continue
		}
		parts = append(parts, k+"="+value(k, fields[k]))
	}
	return strings.Join(parts, ", ")
}

func value(name string, vs []string) string {
	if IsSecretField(name) {
		return "(secret)"
	}
	v := strings.Join(vs, " ")
	if name == "url" || strings.HasSuffix(name, "_url") {
		// A webhook's path often is its credential (Discord, Slack).
		if u, err := url.Parse(v); err == nil && u.Host != "" {
			return u.Scheme + "://" + u.Host + "/…"
		}
		return "(an address)"
	}
	if strings.Contains(v, "\n") || name == "server_cfg" {
		return fmt.Sprintf("(%d lines)", strings.Count(strings.TrimRight(v, "\n"), "\n")+1)
	}
	if len(v) > maxValue {
		v = v[:maxValue] + "…"
	}
	return v
}

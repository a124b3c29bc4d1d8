package rcon

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/left4me/left4me/internal/instance"
)

// ErrSecret: the command reads or sets a secret cvar and the sender is not
// the instance's owner or an administrator.
var ErrSecret = errors.New("only the instance's owner and administrators may read or set secret cvars")

// secretError is an ErrSecret naming the cvar.
type secretError string

func (e secretError) Error() string {
	return fmt.Sprintf("only the instance's owner and administrators may read or set %s", string(e))
}
func (e secretError) Is(target error) bool { return target == ErrSecret }

// defaultSecrets hold passwords or tokens on every server.
var defaultSecrets = []string{"rcon_password", "sv_password", "sv_logsecret", "sv_setsteamaccount"}

// secretName is what a configured secret cvar's name may look like.
var secretName = regexp.MustCompile(`^[a-z0-9_]{3,64}$`)

// Policy says which cvars are secret. The zero Policy knows the default
// ones (rcon_password, sv_password, sv_logsecret, sv_setsteamaccount).
//
// What is secret, and so what is redacted, is decided on the text, not on
// the engine's exact parsing of a command (docs/srcds.md §3 only outlines
// it, unverified), erring on the side of hiding:
//   - A command part "mentions" a secret when its text, lowercased and with
//     double quotes removed, contains a secret cvar's name anywhere. That
//     covers the cvar itself (rcon_password, RCON_Password "x"), and the
//     commands that read or set a cvar named in their arguments (help, find,
//     alias, incrementvar, toggle, SourceMod's sm_cvar) at the price of some
//     harmless commands (say rcon_password is set).
//   - Users who may not see secrets are refused any command with a part
//     that mentions one. The refusal looks at the whole text, so it holds
//     even where the engine splits commands other than Parts does.
//   - Replies to everyone else's commands and the history keep no line that
//     names a secret cvar (cvarlist, find, differences and help print a
//     cvar's value on the line that names it); status names none and is
//     kept whole.
type Policy struct {
	extra []string // lower case, checked by NewPolicy
}

// NewPolicy returns the default policy with the extra secret cvars (the
// operator's configuration). A name is 3 to 64 letters, digits and
// underscores.
func NewPolicy(extra []string) (Policy, error) {
	var p Policy
	for _, n := range extra {
		n = strings.ToLower(strings.TrimSpace(n))
		if !secretName.MatchString(n) {
			return Policy{}, fmt.Errorf("secret cvar %q: a cvar name is 3 to 64 letters, digits or underscores", n)
		}
		p.extra = append(p.extra, n)
	}
	return p, nil
}

// mentioned returns the first secret cvar that text names, or "".
func (p Policy) mentioned(text string) string {
	t := strings.ToLower(strings.ReplaceAll(text, `"`, ""))
	for _, list := range [][]string{defaultSecrets, p.extra} {
		for _, n := range list {
			if strings.Contains(t, n) {
				return n
			}
		}
	}
	return ""
}

// Parts splits a console command into the commands the engine runs, each
// trimmed, empty ones dropped. A ';' outside double quotes or a newline
// ends a command; a '"' opens or closes a quote wherever it stands.
//
// NOTE: the engine splits on ';' and newlines and keeps a quoted ';'
// (docs/srcds.md §3, unverified); a "//" comment, which the engine runs to
// the end of the line, is not honoured here, so Parts splits at most where
// the engine does: a part that hides a secret is never smaller than the
// engine's command.
func Parts(command string) []string {
	var out []string
	start, inQuote := 0, false
	cut := func(end int) {
		if part := strings.TrimFunc(command[start:end], isSpace); part != "" {
			out = append(out, part)
		}
		start = end + 1
	}
	for i := 0; i < len(command); i++ {
		switch c := command[i]; {
		case c == '"':
			inQuote = !inQuote
		case c == '\n':
			inQuote = false
			cut(i)
		case c == ';' && !inQuote:
			cut(i)
		}
	}
	cut(len(command))
	return out
}

// isSpace is what the engine's tokenizer skips between words: every byte up
// to the space (tabs and other control characters too; unverified).
func isSpace(r rune) bool { return r <= ' ' }

// nameOf is a part's command name as a user reads it: its first word,
// unquoted.
func nameOf(part string) (name string, rest bool) {
	if strings.HasPrefix(part, `"`) {
		if end := strings.IndexByte(part[1:], '"'); end >= 0 {
			return part[1 : end+1], strings.TrimFunc(part[end+2:], isSpace) != ""
		}
		return part[1:], false
	}
	end := strings.IndexFunc(part, isSpace)
	if end < 0 {
		return part, false
	}
	return part[:end], strings.TrimFunc(part[end:], isSpace) != ""
}

// Check refuses a command that mentions a secret cvar in any part unless
// the sender may see secrets.
func (p Policy) Check(command string, maySeeSecrets bool) error {
	if maySeeSecrets {
		return nil
	}
	if n := p.mentioned(command); n != "" {
		return secretError(n)
	}
	return nil
}

// HiddenReply stands in the history for the reply to a secret cvar.
const HiddenReply = "(reply not kept: it may hold a secret)"

// HiddenLine stands in a reply for a line that names a secret cvar.
const HiddenLine = "(line hidden: it names a secret cvar)"

// hiddenValue stands for a secret in a command.
const hiddenValue = "<hidden>"

// ForHistory is a command and its reply as the history records them: each
// part of the command that mentions a secret keeps its name and "<hidden>"
// for the rest, and the reply is then HiddenReply; otherwise the reply
// keeps no line naming a secret cvar (Redact).
func (p Policy) ForHistory(command, reply string) (string, string) {
	if p.mentioned(command) == "" {
		return command, p.Redact(reply)
	}
	parts := Parts(command)
	for i, part := range parts {
		if p.mentioned(part) == "" {
			continue
		}
		name, rest := nameOf(part)
		if n := p.mentioned(name); n != "" && !strings.EqualFold(name, n) {
			// A quoted or glued name (rcon_password:x): keep only the
			// secret's own name.
			name, rest = n, true
		}
		if rest {
			name += " " + hiddenValue
		}
		parts[i] = name
	}
	return strings.Join(parts, "; "), HiddenReply
}

// Redact drops every line of a reply that names a secret cvar.
func (p Policy) Redact(reply string) string {
	if p.mentioned(reply) == "" {
		return reply
	}
	lines := strings.SplitAfter(reply, "\n")
	for i, l := range lines {
		if p.mentioned(l) != "" {
			lines[i] = HiddenLine + l[len(strings.TrimRight(l, "\r\n")):]
		}
	}
	return strings.Join(lines, "")
}

// redactPassword replaces the instance's own RCON password wherever it
// appears (an echo of it, a plugin's listing).
func redactPassword(inst instance.Instance, s string) string {
	if len(inst.RCONPassword) < 8 {
		return s
	}
	return strings.ReplaceAll(s, inst.RCONPassword, hiddenValue)
}

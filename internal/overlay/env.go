package overlay

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/left4me/left4me/internal/atomicfile"
)

// Keys of instance.env.
const (
	KeyLowerDirs  = "L4D2_LOWERDIRS"
	KeyPort       = "L4D2_PORT"
	KeyClientPort = "L4D2_CLIENT_PORT"
	KeyArgs       = "L4D2_ARGS"
)

// MaxLayers is the deepest stack overlayfs accepts (OVL_MAX_STACK).
const MaxLayers = 500

// maxEnvFileSize bounds what ReadEnvFile and ParseEnv accept: 500 layers of
// PATH_MAX plus arguments fit with room to spare.
const maxEnvFileSize = 4 << 20

// Env is the content of an instance's instance.env, the EnvironmentFile= of
// its unit. The unit runs
//
//	ExecStart=…/srcds_run -game left4dead2 -norestart -strictportbind -nohltv +ip 0.0.0.0
//	  +hostport ${L4D2_PORT} +clientport ${L4D2_CLIENT_PORT} +exec left4me_launch.cfg $L4D2_ARGS
//
// so Args are the extra srcds arguments exactly as srcds_run receives them.
type Env struct {
	// LowerDirs are absolute layer paths, uppermost first, the base
	// installation last (L4D2_LOWERDIRS, colon-separated).
	LowerDirs []string
	// Port is the game port (L4D2_PORT).
	Port int
	// ClientPort is the engine's client port (L4D2_CLIENT_PORT), the second
	// port of the instance's block (docs/srcds.md §8). 0 means absent: a
	// file written before port blocks; when present it is 1–65535 and not
	// Port.
	ClientPort int
	// Args are the extra srcds arguments (L4D2_ARGS); nil or empty for none.
	Args []string
}

// ErrEnv is wrapped by every error about the content of an Env or of an
// instance.env file.
var ErrEnv = errors.New("invalid instance.env")

func envErr(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrEnv, fmt.Sprintf(format, a...))
}

// Validate checks everything about e that does not need the file system: at
// least one and at most MaxLayers layers, each an absolute clean path without
// ':' (the list separator, which has no escape in L4D2_LOWERDIRS) or control
// characters, no layer twice, a port in 1–65535, and arguments that systemd
// can carry unchanged (valid UTF-8, no control characters: no newline, tab,
// NUL, …).
func (e Env) Validate() error {
	if err := validateLowerDirs(e.LowerDirs); err != nil {
		return err
	}
	if e.Port < 1 || e.Port > 65535 {
		return envErr("%s %d: must be between 1 and 65535", KeyPort, e.Port)
	}
	if e.ClientPort != 0 && (e.ClientPort < 1 || e.ClientPort > 65535) {
		return envErr("%s %d: must be between 1 and 65535", KeyClientPort, e.ClientPort)
	}
	if e.ClientPort == e.Port {
		return envErr("%s %d: must differ from %s", KeyClientPort, e.ClientPort, KeyPort)
	}
	for i, a := range e.Args {
		if err := checkText(a); err != nil {
			return envErr("%s argument %d %q: %v", KeyArgs, i+1, a, err)
		}
	}
	return nil
}

// validateLowerDirs applies the static layer-list rules; each failure has its
// own message because the privileged helper reports them to the operator.
func validateLowerDirs(dirs []string) error {
	if len(dirs) == 0 {
		return envErr("%s is empty: at least the base installation is needed", KeyLowerDirs)
	}
	if len(dirs) > MaxLayers {
		return envErr("%s has %d layers: overlayfs allows at most %d", KeyLowerDirs, len(dirs), MaxLayers)
	}
	seen := make(map[string]int, len(dirs))
	for i, d := range dirs {
		n := i + 1
		switch {
		case d == "":
			return envErr("%s entry %d is empty (check for '::' or a leading/trailing ':')", KeyLowerDirs, n)
		case strings.ContainsRune(d, ':'):
			return envErr("%s entry %d %q contains ':', the list separator", KeyLowerDirs, n, d)
		case checkText(d) != nil:
			return envErr("%s entry %d %q: %v", KeyLowerDirs, n, d, checkText(d))
		case !filepath.IsAbs(d):
			return envErr("%s entry %d %q is not an absolute path", KeyLowerDirs, n, d)
		case filepath.Clean(d) != d:
			return envErr("%s entry %d %q is not a clean path (want %q)", KeyLowerDirs, n, d, filepath.Clean(d))
		}
		if j, dup := seen[d]; dup {
			return envErr("%s entry %d %q duplicates entry %d", KeyLowerDirs, n, d, j)
		}
		seen[d] = n
	}
	return nil
}

// checkText refuses what cannot pass unchanged through an EnvironmentFile=
// and systemd's word splitting: invalid UTF-8 and control characters.
func checkText(s string) error {
	if !utf8.ValidString(s) {
		return errors.New("not valid UTF-8")
	}
	for _, r := range s {
		switch {
		case r == 0:
			return errors.New("contains a NUL byte")
		case r == '\n' || r == '\r':
			return errors.New("contains a newline")
		case r < 0x20 || r == 0x7f:
			return fmt.Errorf("contains control character %U", r)
		}
	}
	return nil
}

// Encode returns e in EnvironmentFile= syntax. Every value is double-quoted
// with '\', '"', '$' and '`' escaped; L4D2_ARGS holds the arguments quoted the
// way systemd splits an unbraced $VAR, so ParseEnv(Encode(e)) == e.
func (e Env) Encode() ([]byte, error) {
	if err := e.Validate(); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString("# Written by left4me; edit through left4me, not by hand.\n")
	writeAssignment(&b, KeyLowerDirs, strings.Join(e.LowerDirs, ":"))
	writeAssignment(&b, KeyPort, strconv.Itoa(e.Port))
	if e.ClientPort != 0 {
		writeAssignment(&b, KeyClientPort, strconv.Itoa(e.ClientPort))
	}
	writeAssignment(&b, KeyArgs, JoinArgs(e.Args))
	return b.Bytes(), nil
}

func writeAssignment(b *bytes.Buffer, key, value string) {
	b.WriteString(key)
	b.WriteString(`="`)
	for _, r := range value {
		// NOTE: inside double quotes systemd (≥ v246, Debian 12 has v252)
		// unescapes exactly these four characters and keeps any other
		// backslash; older versions drop every backslash. Escaping only these
		// four reads back identically under both.
		if r == '\\' || r == '"' || r == '$' || r == '`' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteString("\"\n")
}

// JoinArgs quotes args so that systemd, expanding an unbraced $VAR in
// ExecStart= (split at whitespace, honouring "" and ” quotes and '\'
// escapes: EXTRACT_RELAX|EXTRACT_UNQUOTE), yields exactly args. The arguments
// must have passed Env.Validate.
func JoinArgs(args []string) string {
	var b strings.Builder
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		if a != "" && !strings.ContainsAny(a, " \t\n\r'\"\\") {
			b.WriteString(a)
			continue
		}
		b.WriteByte('"')
		for _, r := range a {
			if r == '\\' || r == '"' {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		}
		b.WriteByte('"')
	}
	return b.String()
}

// SplitArgs splits s the way systemd splits an unbraced $VAR in ExecStart=:
// words separated by runs of whitespace; '…' and "…" group (and are removed,
// and may be glued to neighbouring text); a backslash takes the next character
// literally, inside quotes too. Where systemd would be lenient (an unbalanced
// quote, a trailing backslash) SplitArgs refuses, because such a value would
// not survive Encode unchanged.
func SplitArgs(s string) ([]string, error) {
	var (
		words  []string
		cur    strings.Builder
		inWord bool
		quote  rune
		escape bool
	)
	for _, r := range s {
		switch {
		case escape:
			cur.WriteRune(r)
			escape = false
		case r == '\\':
			escape, inWord = true, true
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t' || r == '\n' || r == '\r':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	switch {
	case escape:
		return nil, errors.New("trailing backslash")
	case quote != 0:
		return nil, fmt.Errorf("unbalanced %c quote", quote)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// ParseEnv parses an instance.env. It reads the EnvironmentFile= syntax the
// way systemd v252 does (comments, '…', "…" with escapes, backslash escapes
// and line continuations, trailing-whitespace chomping) and refuses anything
// that systemd would read differently from what the file seems to say or that
// does not round-trip: unknown or repeated keys, lines without '=', NULs,
// invalid UTF-8, carriage returns, newlines inside values, unbalanced quotes,
// trailing backslashes, and constructs systemd versions disagree on.
func ParseEnv(data []byte) (Env, error) {
	vals, err := parseAssignments(data)
	if err != nil {
		return Env{}, err
	}
	var e Env
	lower, ok := vals[KeyLowerDirs]
	if !ok {
		return Env{}, envErr("%s is missing", KeyLowerDirs)
	}
	e.LowerDirs = strings.Split(lower, ":")
	port, ok := vals[KeyPort]
	if !ok {
		return Env{}, envErr("%s is missing", KeyPort)
	}
	if e.Port, err = parsePort(KeyPort, port); err != nil {
		return Env{}, err
	}
	if cp, ok := vals[KeyClientPort]; ok {
		if e.ClientPort, err = parsePort(KeyClientPort, cp); err != nil {
			return Env{}, err
		}
	}
	if args := vals[KeyArgs]; args != "" {
		if e.Args, err = SplitArgs(args); err != nil {
			return Env{}, envErr("%s %q: %v", KeyArgs, args, err)
		}
		if len(e.Args) == 0 {
			e.Args = nil
		}
	}
	if err := e.Validate(); err != nil {
		return Env{}, err
	}
	return e, nil
}

func parsePort(key, s string) (int, error) {
	if s == "" || len(s) > 5 || s[0] == '0' || strings.Trim(s, "0123456789") != "" {
		return 0, envErr("%s %q: want a decimal number between 1 and 65535", key, s)
	}
	n, _ := strconv.Atoi(s)
	if n > 65535 {
		return 0, envErr("%s %q: want a decimal number between 1 and 65535", key, s)
	}
	return n, nil
}

// parseAssignments runs systemd's EnvironmentFile= state machine
// (src/basic/env-file.c, parse_env_file_internal, v252) over data and returns
// the known keys' values.
func parseAssignments(data []byte) (map[string]string, error) {
	if len(data) > maxEnvFileSize {
		return nil, envErr("file is %d bytes, more than %d", len(data), maxEnvFileSize)
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return nil, envErr("NUL byte at offset %d", i)
	}
	if i := bytes.IndexByte(data, '\r'); i >= 0 {
		return nil, envErr("carriage return at offset %d (systemd reads it as a line break)", i)
	}
	if !utf8.Valid(data) {
		return nil, envErr("not valid UTF-8")
	}

	const (
		preKey = iota
		key
		preValue
		value
		valueEscape
		singleQuote
		doubleQuote
		doubleQuoteEscape
		comment
		commentEscape
	)
	var (
		state        = preKey
		line         = 1
		keyBuf       []byte
		valBuf       []byte
		keyTrailWS   = -1 // index where trailing whitespace of the key starts
		valTrailWS   = -1 // same for an unquoted value
		quoteOpenAt  = 0
		vals         = map[string]string{}
		assignedLine = map[string]int{}
	)
	isWS := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' }
	push := func() error {
		k := string(keyBuf)
		if keyTrailWS >= 0 {
			k = string(keyBuf[:keyTrailWS])
		}
		v := string(valBuf)
		switch k {
		case KeyLowerDirs, KeyPort, KeyClientPort, KeyArgs:
		default:
			return envErr("line %d: unknown key %q", line, k)
		}
		if prev, dup := assignedLine[k]; dup {
			return envErr("line %d: %s already set on line %d", line, k, prev)
		}
		if err := checkText(v); err != nil {
			return envErr("line %d: value of %s %v", line, k, err)
		}
		assignedLine[k] = line
		vals[k] = v
		keyBuf, valBuf = keyBuf[:0], valBuf[:0]
		return nil
	}
	for _, c := range data {
		switch state {
		case preKey:
			switch {
			case c == '#' || c == ';':
				state = comment
			case !isWS(c):
				state = key
				keyTrailWS = -1
				keyBuf = append(keyBuf, c)
			}
		case key:
			switch {
			case c == '\n':
				return nil, envErr("line %d: %q has no '='", line, keyBuf)
			case c == '=':
				state = preValue
				valTrailWS = -1
			default:
				if !isWS(c) {
					keyTrailWS = -1
				} else if keyTrailWS < 0 {
					keyTrailWS = len(keyBuf)
				}
				keyBuf = append(keyBuf, c)
			}
		case preValue:
			switch {
			case c == '\n':
				if err := push(); err != nil {
					return nil, err
				}
				state = preKey
			case c == '\'':
				state, quoteOpenAt = singleQuote, line
			case c == '"':
				state, quoteOpenAt = doubleQuote, line
			case c == '\\':
				state = valueEscape
			case !isWS(c):
				state = value
				valBuf = append(valBuf, c)
			}
		case value:
			switch {
			case c == '\n':
				if valTrailWS >= 0 {
					valBuf = valBuf[:valTrailWS]
				}
				if err := push(); err != nil {
					return nil, err
				}
				state = preKey
			case c == '\\':
				state = valueEscape
				valTrailWS = -1
			default:
				if !isWS(c) {
					valTrailWS = -1
				} else if valTrailWS < 0 {
					valTrailWS = len(valBuf)
				}
				valBuf = append(valBuf, c)
			}
		case valueEscape:
			state = value
			if c != '\n' { // an escaped newline is a line continuation
				valBuf = append(valBuf, c)
			}
		case singleQuote:
			if c == '\'' {
				state = preValue
			} else {
				valBuf = append(valBuf, c)
			}
		case doubleQuote:
			switch c {
			case '"':
				state = preValue
			case '\\':
				state = doubleQuoteEscape
			default:
				valBuf = append(valBuf, c)
			}
		case doubleQuoteEscape:
			state = doubleQuote
			switch c {
			case '"', '\\', '`', '$':
				valBuf = append(valBuf, c)
			case '\n': // line continuation
			default:
				// NOTE: v252 keeps the backslash here, systemd before v246
				// dropped it; refuse rather than guess.
				return nil, envErr("line %d: backslash before %q inside double quotes (systemd versions read it differently; escape only \\ \" $ `)", line, c)
			}
		case comment:
			switch c {
			case '\\':
				state = commentEscape
			case '\n':
				state = preKey
			}
		case commentEscape:
			if c == '\n' {
				// NOTE: systemd < v254 continues the comment onto the next
				// line, v254+ does not.
				return nil, envErr("line %d: comment ends in a backslash (systemd versions read the next line differently)", line)
			}
			state = comment
		}
		if c == '\n' {
			line++
		}
	}
	switch state {
	case key:
		return nil, envErr("line %d: %q has no '='", line, keyBuf)
	case singleQuote, doubleQuote, doubleQuoteEscape:
		return nil, envErr("line %d: unbalanced quote opened on line %d", line, quoteOpenAt)
	case valueEscape:
		return nil, envErr("line %d: file ends in a backslash", line)
	case preValue:
		if err := push(); err != nil {
			return nil, err
		}
	case value:
		if valTrailWS >= 0 {
			valBuf = valBuf[:valTrailWS]
		}
		if err := push(); err != nil {
			return nil, err
		}
	}
	return vals, nil
}

// ReadEnvFile reads and parses an instance.env.
func ReadEnvFile(path string) (Env, error) {
	data, err := readFileLimited(path)
	if err != nil {
		return Env{}, fmt.Errorf("read instance.env: %w", err)
	}
	e, err := ParseEnv(data)
	if err != nil {
		return Env{}, fmt.Errorf("%s: %w", path, err)
	}
	return e, nil
}

func readFileLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readLimited(f)
}

func readLimited(f *os.File) ([]byte, error) {
	var b bytes.Buffer
	n, err := b.ReadFrom(io.LimitReader(f, maxEnvFileSize+1))
	if err != nil {
		return nil, err
	}
	if n > maxEnvFileSize {
		return nil, fmt.Errorf("%s: larger than %d bytes", f.Name(), maxEnvFileSize)
	}
	return b.Bytes(), nil
}

// WriteEnvFile writes env to path atomically: a temporary file in the same
// directory, mode 0640, owned by uid:gid (-1 keeps the writer's), synced and
// renamed over path, then the directory synced. Readers see the old file or
// the new one, never a mix. On error nothing is left behind.
func WriteEnvFile(path string, env Env, uid, gid int) error {
	data, err := env.Encode()
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return atomicfile.WriteFile(path, data, atomicfile.Options{Perm: 0o640, UID: uid, GID: gid})
}

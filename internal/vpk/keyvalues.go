package vpk

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxKeyValuesDepth is the deepest block nesting ParseKeyValues accepts.
const MaxKeyValuesDepth = 64

// ErrKeyValues marks a KeyValues text that could not be parsed completely.
var ErrKeyValues = errors.New("invalid keyvalues")

// Node is one key of a KeyValues document: either a string value or a block of
// child nodes.
type Node struct {
	Key string
	// Value is the string value of a leaf; empty for blocks.
	Value string
	// Children holds a block's nodes in file order; nil for leaves.
	Children []Node
	// Block reports whether the node is a { … } block.
	Block bool
}

// Child returns the first child whose key equals key ignoring case.
func (n Node) Child(key string) (Node, bool) {
	for _, c := range n.Children {
		if strings.EqualFold(c.Key, key) {
			return c, true
		}
	}
	return Node{}, false
}

// String returns the value of the first leaf child named key (case-insensitive), or "".
func (n Node) String(key string) string {
	for _, c := range n.Children {
		if !c.Block && strings.EqualFold(c.Key, key) {
			return c.Value
		}
	}
	return ""
}

// ParseKeyValues parses Valve's KeyValues text format: quoted or unquoted keys and
// values, nested { } blocks, // comments to the end of the line, and [$PLATFORM]
// conditionals (ignored). A UTF-8 or UTF-16 byte-order mark is honoured.
//
// It is lenient in the way the game is: when the text is malformed it returns the
// nodes parsed before the problem (with open blocks closed) together with an error
// wrapping ErrKeyValues that gives the line.
func ParseKeyValues(data []byte) ([]Node, error) {
	p := &kvParser{src: decodeText(data), line: 1}
	root := Node{Block: true}
	err := p.parseBlock(&root, 0)
	return root.Children, err
}

// decodeText turns the file into UTF-8 text, decoding UTF-16 when it has a BOM.
func decodeText(b []byte) []byte {
	switch {
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		return b[3:]
	case len(b) >= 2 && (b[0] == 0xFF && b[1] == 0xFE || b[0] == 0xFE && b[1] == 0xFF):
		bigEndian := b[0] == 0xFE
		b = b[2:]
		u := make([]uint16, len(b)/2)
		for i := range u {
			if bigEndian {
				u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
			} else {
				u[i] = uint16(b[2*i+1])<<8 | uint16(b[2*i])
			}
		}
		var out bytes.Buffer
		for _, r := range utf16.Decode(u) {
			out.WriteRune(r)
		}
		return out.Bytes()
	}
	return b
}

type tokKind int

const (
	tokEOF tokKind = iota
	tokString
	tokOpen
	tokClose
	tokCond
)

type kvParser struct {
	src  []byte
	pos  int
	line int
	// peeked holds a token read ahead by next.
	peeked    bool
	peekKind  tokKind
	peekText  string
	peekLine  int
	lastError error
}

func (p *kvParser) errorf(line int, format string, args ...any) error {
	return fmt.Errorf("%w: line %d: %s", ErrKeyValues, line, fmt.Sprintf(format, args...))
}

// parseBlock reads nodes into parent until a closing brace (depth > 0) or EOF (depth 0).
func (p *kvParser) parseBlock(parent *Node, depth int) error {
	for {
		kind, key, line, err := p.next()
		if err != nil {
			return err
		}
		switch kind {
		case tokEOF:
			if depth > 0 {
				return p.errorf(line, "block %q is not closed", parent.Key)
			}
			return nil
		case tokClose:
			if depth == 0 {
				return p.errorf(line, "unexpected }")
			}
			return nil
		case tokOpen:
			return p.errorf(line, "block without a key")
		case tokCond:
			continue
		}
		// key: a value or a block follows, possibly after a conditional.
		kind, val, vline, err := p.next()
		if err != nil {
			return err
		}
		for kind == tokCond {
			if kind, val, vline, err = p.next(); err != nil {
				return err
			}
		}
		switch kind {
		case tokString:
			parent.Children = append(parent.Children, Node{Key: key, Value: val})
			p.skipCond()
		case tokOpen:
			if depth+1 >= MaxKeyValuesDepth {
				return p.errorf(vline, "blocks nested deeper than %d", MaxKeyValuesDepth)
			}
			child := Node{Key: key, Block: true}
			err := p.parseBlock(&child, depth+1)
			if child.Children == nil {
				child.Children = []Node{}
			}
			parent.Children = append(parent.Children, child)
			if err != nil {
				return err
			}
			p.skipCond()
		case tokEOF:
			return p.errorf(vline, "key %q has no value", key)
		case tokClose:
			return p.errorf(vline, "key %q has no value before }", key)
		}
	}
}

// skipCond consumes a [$X360]-style conditional following a value or block, if any.
func (p *kvParser) skipCond() {
	kind, text, line, err := p.next()
	if err == nil && kind == tokCond {
		return
	}
	p.peeked, p.peekKind, p.peekText, p.peekLine, p.lastError = true, kind, text, line, err
}

func (p *kvParser) next() (tokKind, string, int, error) {
	if p.peeked {
		p.peeked = false
		return p.peekKind, p.peekText, p.peekLine, p.lastError
	}
	return p.scan()
}

func (p *kvParser) scan() (tokKind, string, int, error) {
	src := p.src
	for p.pos < len(src) {
		c := src[p.pos]
		switch {
		case c == '\n':
			p.line++
			p.pos++
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			p.pos++
		case c == '/' && p.pos+1 < len(src) && src[p.pos+1] == '/':
			for p.pos < len(src) && src[p.pos] != '\n' {
				p.pos++
			}
		case c == '{':
			p.pos++
			return tokOpen, "", p.line, nil
		case c == '}':
			p.pos++
			return tokClose, "", p.line, nil
		case c == '"':
			return p.quoted()
		default:
			return p.unquoted()
		}
	}
	return tokEOF, "", p.line, nil
}

func (p *kvParser) quoted() (tokKind, string, int, error) {
	start := p.line
	p.pos++ // opening quote
	var sb strings.Builder
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch c {
		case '"':
			p.pos++
			return tokString, toValidUTF8(sb.String()), start, nil
		case '\\':
			if p.pos+1 < len(p.src) {
				switch p.src[p.pos+1] {
				case '"':
					sb.WriteByte('"')
					p.pos += 2
					continue
				case '\\':
					sb.WriteByte('\\')
					p.pos += 2
					continue
				case 'n':
					sb.WriteByte('\n')
					p.pos += 2
					continue
				case 't':
					sb.WriteByte('\t')
					p.pos += 2
					continue
				}
			}
			sb.WriteByte(c)
			p.pos++
		case '\n':
			p.line++
			sb.WriteByte(c)
			p.pos++
		default:
			sb.WriteByte(c)
			p.pos++
		}
	}
	return tokEOF, "", start, p.errorf(start, "unterminated quoted string")
}

func (p *kvParser) unquoted() (tokKind, string, int, error) {
	start := p.pos
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v' || c == '"' || c == '{' || c == '}' {
			break
		}
		p.pos++
	}
	text := string(p.src[start:p.pos])
	if len(text) >= 2 && text[0] == '[' && text[len(text)-1] == ']' {
		return tokCond, text, p.line, nil
	}
	return tokString, toValidUTF8(text), p.line, nil
}

func toValidUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

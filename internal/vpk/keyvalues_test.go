package vpk

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func leaf(k, v string) Node { return Node{Key: k, Value: v} }
func block(k string, c ...Node) Node {
	if c == nil {
		c = []Node{}
	}
	return Node{Key: k, Block: true, Children: c}
}

func TestParseKeyValues(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      string
		want    []Node
		wantErr string
	}{
		{"empty", "", nil, ""},
		{"comment only", "// nothing\n// more", nil, ""},
		{"quoted", `"a" "b"`, []Node{leaf("a", "b")}, ""},
		{"unquoted", "a b\nc 12", []Node{leaf("a", "b"), leaf("c", "12")}, ""},
		{"mixed and nested", "root { \"x\" y inner{z \"1\"} }", []Node{block("root", leaf("x", "y"), block("inner", leaf("z", "1")))}, ""},
		{"empty block", "a {}", []Node{block("a")}, ""},
		{"comments", "a \"b\" // c d\n// {\ne f", []Node{leaf("a", "b"), leaf("e", "f")}, ""},
		{"comment glued", "a b//c\nd e", []Node{leaf("a", "b//c"), leaf("d", "e")}, ""},
		{"url value", `url "http://x/y"`, []Node{leaf("url", "http://x/y")}, ""},
		{"escapes", `k "a\"b\\c\nd\te\q"`, []Node{leaf("k", "a\"b\\c\nd\te\\q")}, ""},
		{"multiline quoted", "k \"a\nb\"", []Node{leaf("k", "a\nb")}, ""},
		{"empty strings", `"" ""`, []Node{leaf("", "")}, ""},
		{"conditional after value", `a "b" [$X360] c d`, []Node{leaf("a", "b"), leaf("c", "d")}, ""},
		{"conditional after block", `a { } [!$PS3] c d`, []Node{block("a"), leaf("c", "d")}, ""},
		{"conditional before value", `a [$WIN32] "b"`, []Node{leaf("a", "b")}, ""},
		{"base directive", "#base \"other.txt\"\nk v", []Node{leaf("#base", "other.txt"), leaf("k", "v")}, ""},
		{"crlf", "a\r\n{\r\n b c\r\n}\r\n", []Node{block("a", leaf("b", "c"))}, ""},
		{"braces glued", `a{b c}d e`, []Node{block("a", leaf("b", "c")), leaf("d", "e")}, ""},
		{"unclosed block", "a { b c\n d { e f", []Node{block("a", leaf("b", "c"), block("d", leaf("e", "f")))}, "line 2: block \"d\" is not closed"},
		{"stray close", "a b\n}\nc d", []Node{leaf("a", "b")}, "line 2: unexpected }"},
		{"key without value", "a b\nc", []Node{leaf("a", "b")}, `line 2: key "c" has no value`},
		{"key then close", "x { a }", []Node{block("x")}, `key "a" has no value before }`},
		{"block without key", "{ a b }", nil, "block without a key"},
		{"unterminated string", "a \"b\nc", nil, "line 1: unterminated quoted string"},
		{"too deep", strings.Repeat("a {", MaxKeyValuesDepth+1), nil, "nested deeper"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseKeyValues([]byte(tc.in))
			if tc.wantErr == "" && err != nil {
				t.Fatalf("error: %v", err)
			}
			if tc.wantErr != "" && (!errors.Is(err, ErrKeyValues) || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("error = %v, want ErrKeyValues containing %q", err, tc.wantErr)
			}
			if tc.name == "too deep" {
				return // partial tree is deep; only the error matters
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("nodes = %#v\nwant    %#v", got, tc.want)
			}
		})
	}
}

func TestNodeLookup(t *testing.T) {
	nodes, err := ParseKeyValues([]byte(`Mission { NAME n1 name n2 Modes { coop { } } }`))
	if err != nil {
		t.Fatal(err)
	}
	m := nodes[0]
	if got := m.String("name"); got != "n1" {
		t.Errorf("String(name) = %q, want first match n1", got)
	}
	if got := m.String("modes"); got != "" {
		t.Errorf("String on a block = %q, want empty", got)
	}
	if c, ok := m.Child("MODES"); !ok || !c.Block || len(c.Children) != 1 {
		t.Errorf("Child(MODES) = %+v, %v", c, ok)
	}
	if _, ok := m.Child("absent"); ok {
		t.Error("Child(absent) found something")
	}
}

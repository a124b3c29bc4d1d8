package lines

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestRead(t *testing.T) {
	const max = 64
	long := strings.Repeat("x", max*3+5)
	tests := []struct {
		name, in string
		want     []string
	}{
		{"endings", "a\nb\r\nc", []string{"a", "b", "c"}},
		{"empty lines", "\n\nz\n", []string{"", "", "z"}},
		{"long line cut", "a\n" + long + "\nb\n", []string{"a", long[:max], "b"}},
		{"long last line", long, []string{long[:max]}},
		{"nothing", "", nil},
	}
	for _, tt := range tests {
		var got []string
		if err := Read(strings.NewReader(tt.in), max, func(l string) { got = append(got, l) }); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
			t.Errorf("%s: lines = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestReadReturnsReaderError(t *testing.T) {
	boom := errors.New("boom")
	r := io.MultiReader(strings.NewReader("a\n"), iotest.ErrReader(boom))
	var got []string
	if err := Read(r, 64, func(l string) { got = append(got, l) }); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	if len(got) != 1 || got[0] != "a" {
		t.Errorf("lines before the error = %q", got)
	}
}

package web

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/views"
)

// encoderIndented is what writeJSON wrote before appendIndented: the
// standard library's Encoder with SetIndent("", "  ").
func encoderIndented(t testing.TB, v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// indentCases are values whose JSON has every construct: empty and nested
// objects and arrays, escapes (quotes, backslashes before a closing
// quote, control characters, HTML, non-ASCII), numbers and literals.
func indentCases() []any {
	at := time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)
	return []any{
		nil, true, 0, -1.5e-7, "", `"`, `\`, `a\"b\\`, "tab\there\nline", "<script>&</script>", "ünïcødé \u2028 \U0001F600",
		[]int{}, map[string]any{}, []any{[]any{}, map[string]any{}, []any{[]any{1}}},
		map[string]any{"": "", `k"\`: []string{`\\`, `\"`, "}", "]", ",", ":"}, "n": nil, "f": false},
		apiError{Error: `bad "name": use a-z\`, Field: "name"},
		map[string]any{"instances": []views.Instance{}},
		map[string]any{"instances": []views.Instance{{
			Name: "alpha", Owner: "root", Port: 27015, Layers: []string{}, Args: []string{"+map", "c1m1_hotel"},
			State: "running", Since: at, CreatedAt: at, UpdatedAt: at, Pins: map[string]string{"installation": "3"},
			Live: &views.Live{Online: true, Hostname: `Zoey's "server" <1>`, Map: "c1m1_hotel", Humans: 1, MaxPlayers: 8,
				Players: []views.Player{{Name: `Bill \o/`, SteamID: "STEAM_1:0:1", Seconds: 61, Ping: 30}, {Name: "Coach", Bot: true}}},
		}, {Name: "beta", Layers: []string{"maps"}, Args: []string{}, State: "failed", LastLines: []string{}, Stale: []string{"installation 1 → 2"}}}},
	}
}

func TestAppendIndentedMatchesEncoding(t *testing.T) {
	for _, v := range indentCases() {
		want := encoderIndented(t, v)
		rec := httptest.NewRecorder()
		writeJSON(rec, 200, v)
		if got := rec.Body.Bytes(); !bytes.Equal(got, want) {
			t.Errorf("writeJSON(%#v) =\n%s\nwant (json.Encoder with SetIndent)\n%s", v, got, want)
		}
		compact, _ := json.Marshal(v)
		var std bytes.Buffer
		if err := json.Indent(&std, compact, "    ", "\t"); err != nil {
			t.Fatal(err)
		}
		if got := appendIndented(nil, compact, "    ", "\t"); !bytes.Equal(got, std.Bytes()) {
			t.Errorf("appendIndented with a prefix =\n%s\nwant (json.Indent)\n%s", got, std.Bytes())
		}
	}
}

// FuzzAppendIndented: for any valid JSON, appendIndented of its compact
// form is json.Indent's.
func FuzzAppendIndented(f *testing.F) {
	for _, v := range indentCases() {
		b, _ := json.Marshal(v)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if !json.Valid(in) {
			return
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, in); err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		if err := json.Indent(&want, compact.Bytes(), ">", "  "); err != nil {
			t.Fatal(err)
		}
		if got := appendIndented(nil, compact.Bytes(), ">", "  "); !bytes.Equal(got, want.Bytes()) {
			t.Errorf("appendIndented(%q) = %q, want %q", compact.Bytes(), got, want.Bytes())
		}
	})
}

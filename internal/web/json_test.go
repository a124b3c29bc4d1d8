package web

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/views"
)

// encoderIndented is what the API wrote before list_json.go: the
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

// TestWriteJSONMatchesEncoding: writeJSON writes what the API wrote with
// json.Encoder and SetIndent, byte for byte, and indentedElem indents an
// element as json.Indent does (the instance list is built from those).
func TestWriteJSONMatchesEncoding(t *testing.T) {
	for _, v := range indentCases() {
		want := encoderIndented(t, v)
		rec := httptest.NewRecorder()
		writeJSON(rec, 200, v)
		if got := rec.Body.Bytes(); !bytes.Equal(got, want) {
			t.Errorf("writeJSON(%#v) =\n%s\nwant (json.Encoder with SetIndent)\n%s", v, got, want)
		}
		compact, _ := json.Marshal(v)
		got, err := indentedElem(compact, listElemPrefix)
		if err != nil {
			t.Fatal(err)
		}
		if want := bytes.TrimSuffix(encoderIndented(t, v), []byte("\n")); !bytes.Equal(bytes.ReplaceAll(got, []byte("\n"+listElemPrefix), []byte("\n")), want) {
			t.Errorf("indentedElem(%s) =\n%s\nwant each line of\n%s\nafter %q", compact, got, want, listElemPrefix)
		}
	}
}

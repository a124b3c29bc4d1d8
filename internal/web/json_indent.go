package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sync"
)

// The API's answers are indented JSON (what operators read with curl).
// encoding/json's Encoder.SetIndent marshals and then runs every byte of
// the result through its validating scanner again to indent it: profiled
// on the instance list (BenchmarkPanelLists, 100 instances) that second
// pass was a third of a request's CPU. appendIndented does the same
// indentation in one cheap pass over json.Marshal's output, which is
// valid compact JSON by construction, and writes the very same bytes
// (TestAppendIndentedMatchesEncoding, FuzzAppendIndented).

// jsonIndent is the API's indentation: no prefix, two spaces a level.
const jsonIndent = "  "

// appendIndented appends compact (json.Marshal's output: valid JSON, no
// white space outside strings) to dst indented as json.Indent(dst,
// compact, prefix, indent) would: a line per element, empty objects and
// arrays as {} and [], ": " after a key, prefix before every line but the
// first.
func appendIndented(dst, compact []byte, prefix, indent string) []byte {
	depth := 0
	open := false // an object or array just opened: its first line is due
	for i := 0; i < len(compact); {
		c := compact[i]
		if open && c != '}' && c != ']' {
			open = false
			depth++
			dst = appendLine(dst, prefix, indent, depth)
		}
		switch c {
		case '"':
			end := stringEnd(compact, i)
			dst = append(dst, compact[i:end]...)
			i = end
			continue
		case '{', '[':
			open = true
			dst = append(dst, c)
		case ',':
			dst = append(dst, c)
			dst = appendLine(dst, prefix, indent, depth)
		case ':':
			dst = append(dst, ':', ' ')
		case '}', ']':
			if open {
				open = false
			} else {
				depth--
				dst = appendLine(dst, prefix, indent, depth)
			}
			dst = append(dst, c)
		default: // a number, true, false or null: up to the next punctuation
			j := i + 1
			for j < len(compact) && !jsonPunct(compact[j]) {
				j++
			}
			dst = append(dst, compact[i:j]...)
			i = j
			continue
		}
		i++
	}
	return dst
}

func jsonPunct(c byte) bool {
	return c == ',' || c == ':' || c == '}' || c == ']' || c == '{' || c == '[' || c == '"'
}

// stringEnd is the index just past the string that opens at src[i]: its
// closing quote is the first one not escaped by an odd run of backslashes.
func stringEnd(src []byte, i int) int {
	j := i + 1
	for {
		k := bytes.IndexByte(src[j:], '"')
		if k < 0 {
			return len(src) // not json.Marshal's output; copied as it is
		}
		q := j + k
		n := 0
		for p := q - 1; p > i && src[p] == '\\'; p-- {
			n++
		}
		if n%2 == 0 {
			return q + 1
		}
		j = q + 1
	}
}

func appendLine(dst []byte, prefix, indent string, depth int) []byte {
	dst = append(dst, '\n')
	dst = append(dst, prefix...)
	for range depth {
		dst = append(dst, indent...)
	}
	return dst
}

// jsonBuffers are the answers' buffers, reused between requests.
var jsonBuffers = sync.Pool{New: func() any { return new([]byte) }}

// writeJSON writes v as indented JSON with a status code: the bytes
// json.Encoder with SetIndent("", "  ") writes.
func writeJSON(w http.ResponseWriter, status int, v any) {
	compact, err := json.Marshal(v)
	if err != nil {
		// A value the API cannot encode is the server's fault; answered
		// before anything was written.
		status, compact = http.StatusInternalServerError, []byte(`{"error":"Something went wrong on the server: an answer could not be encoded."}`)
	}
	bp := jsonBuffers.Get().(*[]byte)
	b := append(appendIndented((*bp)[:0], compact, "", jsonIndent), '\n')
	writeJSONBytes(w, status, b)
	if cap(b) <= 1<<20 { // a rare huge answer is not kept
		*bp = b[:0]
		jsonBuffers.Put(bp)
	}
}

// writeJSONBytes writes an answer already encoded.
func writeJSONBytes(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b)
}

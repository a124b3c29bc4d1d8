package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// SignatureHeader carries "sha256=" and the hex HMAC-SHA256 of the body,
// keyed with the webhook's secret.
const SignatureHeader = "X-Left4me-Signature"

// Payload is an event as the json format sends it.
type Payload struct {
	Event    string         `json:"event"`
	Instance string         `json:"instance"`
	Time     time.Time      `json:"time"`
	Detail   map[string]any `json:"detail"`
}

// Sign returns the signature header's value for body.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify reports whether sig is body's signature with secret (what a
// receiver does).
func Verify(secret string, body []byte, sig string) bool {
	return hmac.Equal([]byte(Sign(secret, body)), []byte(sig))
}

// Discord and Slack limits the bodies are cut to.
const (
	discordContentMax = 2000
	discordFieldMax   = 1024
	discordFields     = 25
	slackTextMax      = 3000
)

// Body renders p in format.
func Body(format string, p Payload) ([]byte, error) {
	if p.Detail == nil {
		p.Detail = map[string]any{}
	}
	switch format {
	case FormatJSON, "":
		return json.Marshal(p)
	case FormatDiscord:
		type field struct {
			Name   string `json:"name"`
			Value  string `json:"value"`
			Inline bool   `json:"inline"`
		}
		type embed struct {
			Title       string  `json:"title"`
			Description string  `json:"description,omitempty"`
			Timestamp   string  `json:"timestamp"`
			Fields      []field `json:"fields,omitempty"`
		}
		e := embed{Title: p.Event, Description: instanceLine(p), Timestamp: p.Time.UTC().Format(time.RFC3339)}
		for _, k := range slices.Sorted(maps.Keys(p.Detail)) {
			if len(e.Fields) == discordFields {
				break
			}
			e.Fields = append(e.Fields, field{Name: k, Value: cut(detailText(p.Detail[k]), discordFieldMax), Inline: len(detailText(p.Detail[k])) < 40})
		}
		return json.Marshal(map[string]any{"content": cut(headline(p), discordContentMax), "embeds": []embed{e}})
	case FormatSlack:
		var b strings.Builder
		b.WriteString(headline(p))
		for _, k := range slices.Sorted(maps.Keys(p.Detail)) {
			fmt.Fprintf(&b, "\n• %s: %s", k, detailText(p.Detail[k]))
		}
		return json.Marshal(map[string]string{"text": cut(b.String(), slackTextMax)})
	}
	return nil, fieldErr("format", "unknown format %q", format)
}

// headline is the one line a chat shows: "left4me: instance.crashed on vs1".
func headline(p Payload) string {
	if p.Instance == "" {
		return "left4me: " + p.Event
	}
	return "left4me: " + p.Event + " on " + p.Instance
}

func instanceLine(p Payload) string {
	if p.Instance == "" {
		return ""
	}
	return "instance " + p.Instance
}

// detailText is a detail value as text: strings as they are, the rest as JSON.
func detailText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// cut shortens s to at most n bytes on a rune boundary, marking the cut.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n - len("…")
	for i > 0 && !utf8Start(s[i]) {
		i--
	}
	return s[:i] + "…"
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

package web

import (
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// cssRules reads a stylesheet's top-level rules (at-rules such as @media
// are left out) as selector → property → value, later declarations
// winning, as the cascade does for equal specificity.
func cssRules(t *testing.T, css string) map[string]map[string]string {
	t.Helper()
	css = regexp.MustCompile(`(?s)/\*.*?\*/`).ReplaceAllString(css, "")
	rules := map[string]map[string]string{}
	for i := 0; i < len(css); {
		open := strings.IndexByte(css[i:], '{')
		if open < 0 {
			break
		}
		prelude := strings.TrimSpace(css[i : i+open])
		depth, j := 0, i+open
		for ; j < len(css); j++ {
			if css[j] == '{' {
				depth++
			} else if css[j] == '}' {
				depth--
				if depth == 0 {
					break
				}
			}
		}
		body := css[i+open+1 : j]
		i = j + 1
		if strings.HasPrefix(prelude, "@") {
			continue
		}
		for _, sel := range strings.Split(prelude, ",") {
			sel = strings.Join(strings.Fields(sel), " ")
			if rules[sel] == nil {
				rules[sel] = map[string]string{}
			}
			for _, decl := range strings.Split(body, ";") {
				k, v, ok := strings.Cut(decl, ":")
				if ok {
					rules[sel][strings.TrimSpace(k)] = strings.TrimSpace(v)
				}
			}
		}
	}
	return rules
}

// cssColour finds the colour in a declaration's value (a #hex or a var()
// naming one in :root), e.g. the colour of `1px dashed var(--line)`.
func cssColour(rules map[string]map[string]string, value string) (rgb [3]float64, ok bool) {
	for range 5 {
		if m := regexp.MustCompile(`var\((--[a-z0-9-]+)\)`).FindStringSubmatch(value); m != nil {
			value = rules[":root"][m[1]]
			continue
		}
		break
	}
	m := regexp.MustCompile(`#([0-9a-fA-F]{3,8})\b`).FindStringSubmatch(value)
	if m == nil {
		return rgb, false
	}
	h := m[1]
	if len(h) == 3 {
		h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
	}
	for k := range 3 {
		n, err := strconv.ParseUint(h[2*k:2*k+2], 16, 8)
		if err != nil {
			return rgb, false
		}
		rgb[k] = float64(n) / 255
	}
	return rgb, true
}

// contrast is the WCAG 2 contrast ratio of two colours.
func contrast(a, b [3]float64) float64 {
	lum := func(c [3]float64) float64 {
		var l [3]float64
		for k, v := range c {
			if v <= 0.03928 {
				l[k] = v / 12.92
			} else {
				l[k] = math.Pow((v+0.055)/1.055, 2.4)
			}
		}
		return 0.2126*l[0] + 0.7152*l[1] + 0.0722*l[2]
	}
	x, y := lum(a), lum(b)
	if x < y {
		x, y = y, x
	}
	return (x + 0.05) / (y + 0.05)
}

// TestControlsMeetWCAGAAContrast computes, from style.css itself, the
// contrast of the panel's text and controls against what they sit on:
// text 4.5:1 (WCAG 2 AA, 1.4.3), the edges of controls 3:1 (1.4.11). A
// disabled button must still read (it once was 2.1:1 through opacity), and
// no control may be dimmed with opacity, which the ratios would not see.
func TestControlsMeetWCAGAAContrast(t *testing.T) {
	raw, err := os.ReadFile("static/style.css")
	if err != nil {
		t.Fatal(err)
	}
	rules := cssRules(t, string(raw))
	const text, edge = 4.5, 3.0
	type side struct{ sel, prop string }
	checks := []struct {
		what   string
		fg, bg side
		min    float64
	}{
		{"page text", side{"body", "color"}, side{"body", "background"}, text},
		{"muted text on a card", side{".muted", "color"}, side{".card", "background"}, text},
		{"links on a card", side{"a", "color"}, side{".card", "background"}, text},
		{"links on the page", side{"a", "color"}, side{"body", "background"}, text},
		{"navigation links", side{".top nav a", "color"}, side{".top", "background"}, text},
		{"button text", side{"button", "color"}, side{"button", "background"}, text},
		{"button edge on a card", side{"button", "border"}, side{".card", "background"}, edge},
		{"button edge on the page", side{"button", "border"}, side{"body", "background"}, edge},
		{"primary button text", side{"button.primary", "color"}, side{"button.primary", "background"}, text},
		{"primary button on a card", side{"button.primary", "background"}, side{".card", "background"}, edge},
		{"warn button text", side{"button.warn", "color"}, side{"button", "background"}, text},
		{"warn button edge", side{"button.warn", "border-color"}, side{".card", "background"}, edge},
		{"danger button text", side{"button.danger", "color"}, side{"button", "background"}, text},
		{"danger button edge", side{"button.danger", "border-color"}, side{".card", "background"}, edge},
		{"disabled button text on a card", side{"button:disabled", "color"}, side{".card", "background"}, text},
		{"disabled button text on the page", side{"button:disabled", "color"}, side{"body", "background"}, text},
		{"disabled button edge", side{"button:disabled", "border"}, side{".card", "background"}, edge},
		{"link-style button", side{"button.link", "color"}, side{".top", "background"}, text},
		{"input text", side{"input", "color"}, side{"input", "background"}, text},
		{"input edge on a card", side{"input", "border"}, side{".card", "background"}, edge},
		{"help text", side{".help", "color"}, side{".card", "background"}, text},
		{"field error", side{".field-error", "color"}, side{".card", "background"}, text},
		{"flash", side{".flash", "color"}, side{".flash", "background"}, text},
		{"error", side{".error", "color"}, side{".error", "background"}, text},
		{"warning", side{".warning", "color"}, side{".warning", "background"}, text},
		{"badge", side{".badge", "color"}, side{".badge", "background"}, text},
		{"ok badge", side{".badge.ok", "color"}, side{".badge.ok", "background"}, text},
		{"bad badge", side{".badge.bad", "color"}, side{".badge.bad", "background"}, text},
		{"running", side{".state-running", "color"}, side{".card", "background"}, text},
		{"starting", side{".state-starting", "color"}, side{".card", "background"}, text},
		{"failed", side{".state-failed", "color"}, side{".card", "background"}, text},
		{"stopped", side{".state-stopped", "color"}, side{".card", "background"}, text},
		{"event kind", side{".feed .kind", "color"}, side{".card", "background"}, text},
		{"event time", side{".feed time", "color"}, side{".card", "background"}, text},
		{"console log", side{"pre#log", "color"}, side{"pre#log", "background"}, text},
		{"RCON command", side{".rcon-out .cmd", "color"}, side{".rcon-out", "background"}, text},
		{"RCON reply", side{".rcon-out .reply", "color"}, side{".rcon-out", "background"}, text},
		{"RCON no reply", side{".rcon-out .reply.none", "color"}, side{".rcon-out", "background"}, text},
		{"RCON error", side{".rcon-out .failed .reply", "color"}, side{".rcon-out", "background"}, text},
		{"table heading", side{"thead th", "color"}, side{".list", "background"}, text},
		{"skip link", side{".skip", "color"}, side{".skip", "background"}, text},
	}
	for _, c := range checks {
		colour := func(s side) [3]float64 {
			r, ok := rules[s.sel]
			if !ok {
				t.Fatalf("%s: style.css has no rule for %q", c.what, s.sel)
			}
			rgb, ok := cssColour(rules, r[s.prop])
			if !ok {
				t.Fatalf("%s: %s { %s: %q } names no colour", c.what, s.sel, s.prop, r[s.prop])
			}
			return rgb
		}
		got := contrast(colour(c.fg), colour(c.bg))
		if got < c.min {
			t.Errorf("%s: %s %s on %s %s is %.2f:1, want at least %.1f:1", c.what, c.fg.sel, c.fg.prop, c.bg.sel, c.bg.prop, got, c.min)
		}
	}
	for sel, decls := range rules {
		if op, ok := decls["opacity"]; ok && (strings.Contains(sel, "button") || strings.Contains(sel, "input") || strings.Contains(sel, "select")) {
			t.Errorf("%s { opacity: %s }: dims a control below the ratios checked here; give it colours instead", sel, op)
		}
	}
	t.Logf("%d colour pairs checked", len(checks))
}

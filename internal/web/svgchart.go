package web

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
	"time"
)

// chartLine is one series of a chart: a value per time of the chart's
// Times, negative where unknown (the line breaks there).
type chartLine struct {
	Name   string
	Color  string // a presentation attribute: the page's CSP allows no inline style
	Values []float64
}

// chart is a line chart the server draws as inline SVG: no script and no
// chart library; the page's Content-Security-Policy holds.
type chart struct {
	ID     string // the element id, for links and tests
	Title  string
	From   time.Time
	To     time.Time
	Step   time.Duration // points further apart than two steps are not joined
	Times  []time.Time
	Lines  []chartLine
	Format func(v float64) string // the axis' labels
	MinMax float64                // the y axis reaches at least this
}

// The chart's geometry in viewBox units.
const (
	chartW, chartH       = 480.0, 180.0
	chartLeft, chartRite = 64.0, 8.0
	chartTop, chartBot   = 12.0, 24.0
)

// The palette: the stylesheet's colours, as attributes.
const (
	colorBlue   = "#5aa9ef"
	colorGreen  = "#3fbf7f"
	colorOrange = "#e8712c"
	colorYellow = "#e3b341"
	colorMuted  = "#97a1b3"
	colorGrid   = "#2e3644"
)

// SVG draws the chart: a y axis from 0 in three steps of a round size, the times of both ends and the middle, a polyline per line and a
// legend. Text is escaped.
func (c chart) SVG() template.HTML {
	top := c.MinMax
	for _, l := range c.Lines {
		for _, v := range l.Values {
			top = math.Max(top, v)
		}
	}
	top = 3 * niceCeil(top/3) // three grid steps of a round size
	format := c.Format
	if format == nil {
		format = func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	}
	span := c.To.Sub(c.From).Seconds()
	if span <= 0 {
		span = 1
	}
	plotW, plotH := chartW-chartLeft-chartRite, chartH-chartTop-chartBot
	x := func(t time.Time) float64 { return chartLeft + plotW*t.Sub(c.From).Seconds()/span }
	y := func(v float64) float64 { return chartTop + plotH*(1-v/top) }

	var b strings.Builder
	esc := template.HTMLEscapeString
	fmt.Fprintf(&b, `<svg class="chart" id="%s" viewBox="0 0 %.0f %.0f" width="100%%" role="img" aria-labelledby="%s-t" xmlns="http://www.w3.org/2000/svg">`,
		esc(c.ID), chartW, chartH, esc(c.ID))
	fmt.Fprintf(&b, `<title id="%s-t">%s</title>`, esc(c.ID), esc(c.Title))
	for i := 0; i <= 3; i++ {
		v := top * float64(i) / 3
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="%s" stroke-width="1"/>`,
			chartLeft, chartW-chartRite, y(v), y(v), colorGrid)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" fill="%s" font-size="13" text-anchor="end">%s</text>`,
			chartLeft-6, y(v)+4, colorMuted, esc(format(v)))
	}
	mid := c.From.Add(c.To.Sub(c.From) / 2)
	for i, t := range []time.Time{c.From, mid, c.To} {
		anchor := [...]string{"start", "middle", "end"}[i]
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" fill="%s" font-size="13" text-anchor="%s">%s</text>`,
			x(t), chartH-6, colorMuted, anchor, esc(t.Local().Format("Jan 2 15:04")))
	}
	gap := 2 * c.Step
	for _, l := range c.Lines {
		var run []string
		flush := func() {
			if len(run) == 1 { // a lone point: a dot
				xy := strings.Split(run[0], ",")
				fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="2" fill="%s"/>`, xy[0], xy[1], l.Color)
			} else if len(run) > 1 {
				fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="1.8" stroke-linejoin="round"/>`,
					strings.Join(run, " "), l.Color)
			}
			run = run[:0]
		}
		for i, v := range l.Values {
			if i >= len(c.Times) {
				break
			}
			if v < 0 || (i > 0 && gap > 0 && c.Times[i].Sub(c.Times[i-1]) > gap) {
				flush()
			}
			if v >= 0 {
				run = append(run, fmt.Sprintf("%.1f,%.1f", x(c.Times[i]), y(v)))
			}
		}
		flush()
	}
	lx := chartLeft + 4
	for _, l := range c.Lines {
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="10" height="3" fill="%s"/>`, lx, chartTop+2, l.Color)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" fill="%s" font-size="13">%s</text>`, lx+14, chartTop+8, colorMuted, esc(l.Name))
		lx += 26 + 8*float64(len(l.Name))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // built above with every text escaped
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten (1 at least).
func niceCeil(v float64) float64 {
	if v <= 1 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// formatMiB labels a memory axis whose values are MiB.
func formatMiB(v float64) string {
	if v <= 0 {
		return "0"
	}
	// From 1000 MiB on, GiB: a four-digit MiB label does not fit beside
	// the axis.
	if v >= 1000 {
		return strconv.FormatFloat(math.Round(v/1024*10)/10, 'f', -1, 64) + " GiB"
	}
	return strconv.FormatFloat(math.Round(v), 'f', -1, 64) + " MiB"
}

func formatPercent(v float64) string { return strconv.FormatFloat(math.Round(v), 'f', -1, 64) + "%" }

package web

import (
	"context"
	"html/template"
	"net/http"
	"time"

	"github.com/left4me/left4me/internal/history"
)

// historyChoices are the spans the history cards offer (?since=).
var historyChoices = []string{"6h", "24h", "7d", "30d"}

// historySection is the History card of the instance page and the host
// page: charts over the span ?since= chose (default 24h).
type historySection struct {
	Since   string
	Choices []string
	Charts  []template.HTML
	Empty   bool   // no samples in the span
	Err     string // a bad ?since=, said in the card
}

// sinceRange reads ?since= (one of historyChoices or any span
// history.ParseSince takes) into a range ending now.
func (s *Server) sinceRange(r *http.Request) (history.Range, historySection, bool) {
	sec := historySection{Since: r.URL.Query().Get("since"), Choices: historyChoices}
	if sec.Since == "" {
		sec.Since = "24h"
	}
	d, err := history.ParseSince(sec.Since)
	var rg history.Range
	if err == nil {
		rg, err = history.SinceRange(s.cfg.Now(), d, 0)
	}
	if err != nil {
		a, _ := answerFor(err)
		sec.Err = a.field + ": " + a.msg
		return rg, sec, false
	}
	return rg, sec, true
}

// instanceGraphs is the instance page's History card: players, CPU and
// memory over the chosen span.
func (s *Server) instanceGraphs(ctx context.Context, r *http.Request, name string) historySection {
	rg, sec, ok := s.sinceRange(r)
	if !ok {
		return sec
	}
	ser, err := history.InstanceHistory(ctx, s.cfg.Store, name, rg)
	if err != nil {
		s.log.Warn("read history", "instance", name, "err", err)
		sec.Err = "The history could not be read."
		return sec
	}
	if len(ser.Points) == 0 {
		sec.Empty = true
		return sec
	}
	n := len(ser.Points)
	times := make([]time.Time, n)
	humans, bots, cpu, mem := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	for i, p := range ser.Points {
		times[i] = p.At
		humans[i], bots[i], cpu[i] = float64(p.Humans), float64(p.Bots), p.CPUPercent
		mem[i] = -1
		if p.Memory >= 0 {
			mem[i] = float64(p.Memory) / (1 << 20)
		}
	}
	base := chart{From: rg.From, To: rg.To, Step: rg.Step, Times: times}
	players, cpuc, memc := base, base, base
	players.ID, players.Title, players.MinMax = "graph-players", "Players of "+name, 4
	players.Lines = []chartLine{{"humans", colorGreen, humans}, {"bots", colorMuted, bots}}
	cpuc.ID, cpuc.Title, cpuc.Format, cpuc.MinMax = "graph-cpu", "CPU of "+name+" (percent of one core)", formatPercent, 10
	cpuc.Lines = []chartLine{{"CPU", colorBlue, cpu}}
	memc.ID, memc.Title, memc.Format, memc.MinMax = "graph-memory", "Memory of "+name, formatMiB, 64
	memc.Lines = []chartLine{{"memory", colorOrange, mem}}
	sec.Charts = []template.HTML{players.SVG(), cpuc.SVG(), memc.SVG()}
	return sec
}

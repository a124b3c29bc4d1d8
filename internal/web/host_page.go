package web

import (
	"html/template"
	"net/http"
	"time"

	"github.com/left4me/left4me/internal/history"
)

// hostPage is the host overview (administrators): players across every
// instance, running servers, their CPU and memory, the load average and
// the host's memory over the chosen span (?since=).
func (s *Server) hostPage(w http.ResponseWriter, r *http.Request) {
	rg, sec, ok := s.sinceRange(r)
	if ok {
		ser, err := history.HostHistory(r.Context(), s.cfg.Store, rg)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		sec.Empty = len(ser.Points) == 0
		if !sec.Empty {
			sec.Charts = hostCharts(ser)
		}
	}
	s.render(w, r, http.StatusOK, "host", "Host", sec)
}

func hostCharts(ser history.HostSeries) []template.HTML {
	n := len(ser.Points)
	times := make([]time.Time, n)
	humans, bots, running := make([]float64, n), make([]float64, n), make([]float64, n)
	cpu, load, mem, used := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	mib := func(v int64) float64 {
		if v < 0 {
			return -1
		}
		return float64(v) / (1 << 20)
	}
	for i, p := range ser.Points {
		times[i] = p.At
		humans[i], bots[i], running[i] = float64(p.Humans), float64(p.Bots), float64(p.Running)
		cpu[i], load[i], mem[i], used[i] = p.CPUPercent, p.Load1, mib(p.Memory), mib(p.HostUsed)
	}
	rg := ser.Range
	base := chart{From: rg.From, To: rg.To, Step: rg.Step, Times: times}
	players, cpuc, loadc, memc := base, base, base, base
	players.ID, players.Title, players.MinMax = "graph-host-players", "Players and running servers across every instance", 4
	players.Lines = []chartLine{{"humans", colorGreen, humans}, {"bots", colorMuted, bots}, {"running", colorYellow, running}}
	cpuc.ID, cpuc.Title, cpuc.Format, cpuc.MinMax = "graph-host-cpu", "CPU of every server (percent of one core)", formatPercent, 10
	cpuc.Lines = []chartLine{{"CPU", colorBlue, cpu}}
	loadc.ID, loadc.Title, loadc.MinMax = "graph-host-load", "Load average (one minute)", 1
	loadc.Lines = []chartLine{{"load", colorYellow, load}}
	memc.ID, memc.Title, memc.Format, memc.MinMax = "graph-host-memory", "Memory of every server, and of the host", formatMiB, 64
	memc.Lines = []chartLine{{"servers", colorOrange, mem}, {"host in use", colorBlue, used}}
	return []template.HTML{players.SVG(), cpuc.SVG(), loadc.SVG(), memc.SVG()}
}

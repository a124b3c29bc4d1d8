package views

import (
	"math"
	"time"

	"github.com/left4me/left4me/internal/history"
)

// HistoryPoint is an instance over one step of its history. CPUPercent
// (of one core) and MemoryBytes are -1 when no sample in the step knew
// them (the server was stopped, or accounting is off).
type HistoryPoint struct {
	At          time.Time `json:"at"`
	State       string    `json:"state"`
	Map         string    `json:"map,omitempty"`
	Humans      int       `json:"humans"`
	Bots        int       `json:"bots"`
	CPUPercent  float64   `json:"cpu_percent"`
	MemoryBytes int64     `json:"memory_bytes"`
}

// History is the answer of GET /api/v1/instances/{name}/history and of
// `left4me instance history --json`.
type History struct {
	Instance    string         `json:"instance"`
	From        time.Time      `json:"from"`
	To          time.Time      `json:"to"`
	StepSeconds int64          `json:"step_seconds"`
	Points      []HistoryPoint `json:"points"`
}

// NewHistory is the view of an instance's history.
func NewHistory(s history.Series) History {
	out := History{Instance: s.Instance, From: s.Range.From.UTC(), To: s.Range.To.UTC(),
		StepSeconds: int64(s.Range.Step / time.Second), Points: make([]HistoryPoint, 0, len(s.Points))}
	for _, p := range s.Points {
		out.Points = append(out.Points, HistoryPoint{At: p.At.UTC(), State: p.State, Map: p.Map, Humans: p.Humans,
			Bots: p.Bots, CPUPercent: round1(p.CPUPercent), MemoryBytes: p.Memory})
	}
	return out
}

// HostHistoryPoint is the host over one step: players and running servers
// across every instance, the servers' CPU (percent of one core, summed)
// and memory, the one-minute load average and the host's memory in use and
// total; -1 where unknown.
type HostHistoryPoint struct {
	At              time.Time `json:"at"`
	Humans          int       `json:"humans"`
	Bots            int       `json:"bots"`
	Running         int       `json:"running"`
	CPUPercent      float64   `json:"cpu_percent"`
	MemoryBytes     int64     `json:"memory_bytes"`
	Load1           float64   `json:"load1"`
	HostMemoryUsed  int64     `json:"host_memory_used_bytes"`
	HostMemoryTotal int64     `json:"host_memory_total_bytes"`
}

// HostHistory is the answer of GET /api/v1/host/history.
type HostHistory struct {
	From        time.Time          `json:"from"`
	To          time.Time          `json:"to"`
	StepSeconds int64              `json:"step_seconds"`
	Points      []HostHistoryPoint `json:"points"`
}

// NewHostHistory is the view of the host's history.
func NewHostHistory(s history.HostSeries) HostHistory {
	out := HostHistory{From: s.Range.From.UTC(), To: s.Range.To.UTC(), StepSeconds: int64(s.Range.Step / time.Second),
		Points: make([]HostHistoryPoint, 0, len(s.Points))}
	for _, p := range s.Points {
		out.Points = append(out.Points, HostHistoryPoint{At: p.At.UTC(), Humans: p.Humans, Bots: p.Bots, Running: p.Running,
			CPUPercent: round1(p.CPUPercent), MemoryBytes: p.Memory, Load1: math.Round(p.Load1*100) / 100,
			HostMemoryUsed: p.HostUsed, HostMemoryTotal: p.HostTotal})
	}
	return out
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

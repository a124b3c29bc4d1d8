package history

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/store"
)

// The fields of a history query, as the API's query parameters and the
// CLI's flags name them.
const (
	FieldFrom  = "from"
	FieldTo    = "to"
	FieldStep  = "step"
	FieldSince = "since"
)

// Limits of a query.
const (
	MaxRange  = 31 * 24 * time.Hour // a little more than Retention
	MinStep   = Interval
	MaxPoints = 2000
	// DefaultPoints is about how many points a query without a step gets.
	DefaultPoints = 240
	DefaultSince  = 24 * time.Hour
)

// Range is the span a query covers, From inclusive, To exclusive, in
// points Step apart.
type Range struct {
	From, To time.Time
	Step     time.Duration
}

func rangeErr(field, format string, a ...any) error {
	return &instance.FieldError{Field: field, Err: fmt.Errorf(format, a...)}
}

// ParseRange reads a query's from, to and step: from and to are RFC 3339
// times or Unix seconds (to defaults to now, from to DefaultSince before
// to), step a Go duration ("5m") or seconds (default: about DefaultPoints
// points). Bad input is an *instance.FieldError naming the field.
func ParseRange(now time.Time, from, to, step string) (Range, error) {
	var r Range
	var err error
	r.To = now
	if to != "" {
		if r.To, err = parseTime(to); err != nil {
			return Range{}, rangeErr(FieldTo, "%q is not a time: give RFC 3339 (2026-01-02T15:04:05Z) or Unix seconds", to)
		}
	}
	r.From = r.To.Add(-DefaultSince)
	if from != "" {
		if r.From, err = parseTime(from); err != nil {
			return Range{}, rangeErr(FieldFrom, "%q is not a time: give RFC 3339 (2026-01-02T15:04:05Z) or Unix seconds", from)
		}
	}
	if step != "" {
		if r.Step, err = parseStep(step); err != nil {
			return Range{}, rangeErr(FieldStep, "%q is not a duration: give one such as 30s, 5m or 1h, or seconds", step)
		}
	}
	return r.check()
}

// SinceRange is the range from since before now until now, in about
// DefaultPoints points unless step is given (non-zero).
func SinceRange(now time.Time, since, step time.Duration) (Range, error) {
	if since <= 0 {
		return Range{}, rangeErr(FieldSince, "%s is not a span of time: give a positive one such as 24h", since)
	}
	r, err := Range{From: now.Add(-since), To: now, Step: step}.check()
	if fe, ok := err.(*instance.FieldError); ok && fe.Field == FieldFrom {
		fe.Field = FieldSince // the span is what was given
	}
	return r, err
}

// check refuses a range that is empty, backwards or longer than MaxRange, and
// a step shorter than MinStep or giving more than MaxPoints points; a zero
// step becomes one that gives about DefaultPoints points.
func (r Range) check() (Range, error) {
	span := r.To.Sub(r.From)
	switch {
	case span <= 0:
		return Range{}, rangeErr(FieldFrom, "%s is not before to (%s): the range must run forwards",
			r.From.UTC().Format(time.RFC3339), r.To.UTC().Format(time.RFC3339))
	case span > MaxRange:
		return Range{}, rangeErr(FieldFrom, "the range is %s long; history is kept %d days: ask for at most %d days",
			roundSpan(span), int(Retention.Hours()/24), int(MaxRange.Hours()/24))
	}
	if r.Step == 0 {
		r.Step = max(MinStep, (span/DefaultPoints+MinStep-1)/MinStep*MinStep)
	}
	switch {
	case r.Step < MinStep:
		return Range{}, rangeErr(FieldStep, "%s is shorter than the %s between samples", r.Step, MinStep)
	case span/r.Step > MaxPoints:
		return Range{}, rangeErr(FieldStep, "%s gives %d points over %s; at most %d: take a longer step",
			r.Step, span/r.Step, roundSpan(span), MaxPoints)
	}
	return r, nil
}

func roundSpan(d time.Duration) string {
	if d >= 48*time.Hour {
		return strconv.Itoa(int(d.Hours()/24)) + " days"
	}
	return d.Round(time.Minute).String()
}

func parseTime(s string) (time.Time, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0).UTC(), nil
	}
	return time.Parse(time.RFC3339, s)
}

func parseStep(s string) (time.Duration, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	return time.ParseDuration(s)
}

// Point is an instance over one step: the peak of humans and bots, the mean
// CPU (percent of one core) and memory over the samples that knew them
// (-1: none did), the last state and map.
type Point struct {
	At         time.Time
	State      string
	Map        string
	Humans     int
	Bots       int
	CPUPercent float64
	Memory     int64
}

// Series is an instance's history over a range.
type Series struct {
	Instance string
	Range    Range
	Points   []Point // oldest first; a step without samples has no point
}

// Reader reads samples (*store.Store).
type Reader interface {
	InstanceSamples(ctx context.Context, name string, from, to time.Time) ([]store.InstanceSample, error)
	HostSamples(ctx context.Context, from, to time.Time) ([]store.HostSample, error)
}

// bucketOf is the start of the step t falls in, counted from the Unix epoch.
func bucketOf(t time.Time, step time.Duration) time.Time {
	s := int64(step / time.Second)
	return time.Unix(t.Unix()/s*s, 0).UTC()
}

// InstanceHistory reads name's samples in r and merges them into r.Step points.
func InstanceHistory(ctx context.Context, rd Reader, name string, r Range) (Series, error) {
	rows, err := rd.InstanceSamples(ctx, name, r.From, r.To)
	if err != nil {
		return Series{}, err
	}
	out := Series{Instance: name, Range: r, Points: []Point{}}
	var cpu, mem acc
	flush := func() {
		if n := len(out.Points); n > 0 {
			p := &out.Points[n-1]
			p.CPUPercent, p.Memory = cpu.mean()/10, int64(mem.mean())
			if cpu.n == 0 {
				p.CPUPercent = -1
			}
		}
		cpu, mem = acc{}, acc{}
	}
	for _, x := range rows {
		at := bucketOf(x.At, r.Step)
		if n := len(out.Points); n == 0 || !out.Points[n-1].At.Equal(at) {
			flush()
			out.Points = append(out.Points, Point{At: at})
		}
		p := &out.Points[len(out.Points)-1]
		p.Humans, p.Bots = max(p.Humans, x.Humans), max(p.Bots, x.Bots)
		p.State, p.Map = x.State, x.Map
		cpu.add(x.CPUMilli)
		mem.add(x.MemBytes)
	}
	flush()
	return out, nil
}

// HostPoint is the host over one step: the peak of players and running
// servers, the mean of the rest (-1: unknown).
type HostPoint struct {
	At         time.Time
	Humans     int
	Bots       int
	Running    int
	CPUPercent float64 // the instances' CPU, summed, in percent of one core
	Memory     int64   // the instances' memory, summed
	Load1      float64 // the one-minute load average
	HostUsed   int64   // the host's memory in use
	HostTotal  int64
}

// HostSeries is the host's history over a range.
type HostSeries struct {
	Range  Range
	Points []HostPoint
}

// HostHistory reads the host's samples in r and merges them into r.Step points.
func HostHistory(ctx context.Context, rd Reader, r Range) (HostSeries, error) {
	rows, err := rd.HostSamples(ctx, r.From, r.To)
	if err != nil {
		return HostSeries{}, err
	}
	out := HostSeries{Range: r, Points: []HostPoint{}}
	var cpu, mem, load, used, total acc
	flush := func() {
		if n := len(out.Points); n > 0 {
			p := &out.Points[n-1]
			p.CPUPercent, p.Memory, p.Load1 = cpu.mean()/10, int64(mem.mean()), load.mean()/100
			p.HostUsed, p.HostTotal = int64(used.mean()), int64(total.mean())
			if cpu.n == 0 {
				p.CPUPercent = -1
			}
			if load.n == 0 {
				p.Load1 = -1
			}
		}
		cpu, mem, load, used, total = acc{}, acc{}, acc{}, acc{}, acc{}
	}
	for _, x := range rows {
		at := bucketOf(x.At, r.Step)
		if n := len(out.Points); n == 0 || !out.Points[n-1].At.Equal(at) {
			flush()
			out.Points = append(out.Points, HostPoint{At: at})
		}
		p := &out.Points[len(out.Points)-1]
		p.Humans, p.Bots, p.Running = max(p.Humans, x.Humans), max(p.Bots, x.Bots), max(p.Running, x.Running)
		cpu.add(x.CPUMilli)
		mem.add(x.MemBytes)
		load.add(x.LoadCenti)
		used.add(x.HostUsed)
		total.add(x.HostTotal)
	}
	flush()
	return out, nil
}

// acc is the mean of the known (non-negative) values; -1 when none.
type acc struct {
	sum float64
	n   int
}

func (a *acc) add(v int64) {
	if v >= 0 {
		a.sum += float64(v)
		a.n++
	}
}

func (a acc) mean() float64 {
	if a.n == 0 {
		return -1
	}
	return a.sum / float64(a.n)
}

// ParseSince reads a span back from now: a Go duration ("90m", "24h") or
// whole days ("7d"). Bad input is an *instance.FieldError on FieldSince.
func ParseSince(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n > 0 {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, rangeErr(FieldSince, "%q is not a span of time: give one such as 6h, 24h or 7d", s)
	}
	return d, nil
}

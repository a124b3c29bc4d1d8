package schedule

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// WhenKind is how a schedule's time is written.
type WhenKind string

// The kinds of When.
const (
	Daily  WhenKind = "daily"  // "HH:MM"
	Weekly WhenKind = "weekly" // "DAY HH:MM"
	Cron   WhenKind = "cron"   // five fields: minute hour day-of-month month day-of-week
)

// When is when a schedule runs, in the host's time zone.
//
// Every kind is a cron expression underneath (daily 04:00 is "0 4 * * *"),
// evaluated on the wall clock: a time a daylight-saving change skips runs
// once, when the clock has jumped past it (02:30 on the spring-forward day
// runs at 03:30), and a time that happens twice on the fall-back day runs
// once. So every day of a daily schedule has exactly one run.
type When struct {
	Kind WhenKind
	// Spec is the time as written, without the kind: "04:00", "sun 04:00",
	// "0 4 * * 1-5".
	Spec  string
	sched cron.Schedule
}

// String is the When as ParseWhen reads it back: "daily 04:00".
func (w When) String() string { return string(w.Kind) + " " + w.Spec }

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
	"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday,
	"thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday,
}

// cronParser reads the five standard fields and descriptors such as
// @daily; not @every (a fixed interval is not a time of day) and not a
// TZ= prefix (schedules run in the host's time zone).
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseWhen reads a schedule's time: "daily HH:MM", "weekly DAY HH:MM" or
// "cron EXPR"; without the kind, "HH:MM" is daily, "DAY HH:MM" weekly and
// anything else a cron expression. The error says what is wrong in words
// for people.
func ParseWhen(s string) (When, error) {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return When{}, errors.New(`say when: "daily 04:00", "weekly sun 04:00" or a cron expression such as "cron 0 4 * * 1-5"`)
	}
	kind, rest, _ := strings.Cut(s, " ")
	switch WhenKind(strings.ToLower(kind)) {
	case Daily:
		return parseDaily(rest)
	case Weekly:
		return parseWeekly(rest)
	case Cron:
		return parseCron(rest)
	}
	// A cron expression has no colon; a time of day has one.
	switch {
	case strings.Contains(s, ":") && !strings.Contains(s, " "):
		return parseDaily(s)
	case strings.Contains(s, ":"):
		return parseWeekly(s)
	}
	return parseCron(s)
}

// parseClock reads HH:MM on a 24-hour clock.
func parseClock(s string) ([2]int, error) {
	hs, ms, ok := strings.Cut(s, ":")
	h, herr := strconv.Atoi(hs)
	m, merr := strconv.Atoi(ms)
	if !ok || herr != nil || merr != nil || len(ms) != 2 || len(hs) < 1 || len(hs) > 2 ||
		h < 0 || h > 23 || m < 0 || m > 59 {
		return [2]int{}, fmt.Errorf("%q is not a time of day: want HH:MM on a 24-hour clock, like 04:00", s)
	}
	return [2]int{h, m}, nil
}

func parseDaily(s string) (When, error) {
	hm, err := parseClock(s)
	if err != nil {
		return When{}, err
	}
	spec := fmt.Sprintf("%02d:%02d", hm[0], hm[1])
	sc, err := cronParser.Parse(fmt.Sprintf("%d %d * * *", hm[1], hm[0]))
	if err != nil {
		return When{}, fmt.Errorf("daily %s: %w", spec, err)
	}
	return When{Kind: Daily, Spec: spec, sched: sc}, nil
}

func parseWeekly(s string) (When, error) {
	day, clock, ok := strings.Cut(s, " ")
	wd, known := weekdays[strings.ToLower(day)]
	if !ok || !known {
		return When{}, fmt.Errorf("%q: want a day and a time, like \"sun 04:00\" (days mon, tue, wed, thu, fri, sat, sun)", s)
	}
	hm, err := parseClock(clock)
	if err != nil {
		return When{}, err
	}
	spec := fmt.Sprintf("%s %02d:%02d", strings.ToLower(wd.String()[:3]), hm[0], hm[1])
	sc, err := cronParser.Parse(fmt.Sprintf("%d %d * * %d", hm[1], hm[0], int(wd)))
	if err != nil {
		return When{}, fmt.Errorf("weekly %s: %w", spec, err)
	}
	return When{Kind: Weekly, Spec: spec, sched: sc}, nil
}

func parseCron(s string) (When, error) {
	if strings.HasPrefix(s, "TZ=") || strings.HasPrefix(s, "CRON_TZ=") {
		return When{}, errors.New("a cron expression here takes no time zone: schedules run in the host's time zone")
	}
	if strings.HasPrefix(s, "@every") {
		return When{}, errors.New("@every is not supported: give times of day, such as \"cron 0 */6 * * *\"")
	}
	sc, err := cronParser.Parse(s)
	if err != nil {
		return When{}, fmt.Errorf("cron expression %q: %w (want five fields: minute hour day-of-month month day-of-week, like \"0 4 * * 1-5\")", s, err)
	}
	spec, ok := sc.(*cron.SpecSchedule)
	if !ok {
		return When{}, fmt.Errorf("cron expression %q: not a time of day", s)
	}
	// Expressions are evaluated on a wall clock carried in UTC (Next).
	spec.Location = time.UTC
	w := When{Kind: Cron, Spec: s, sched: spec}
	if w.Next(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.UTC).IsZero() {
		return When{}, fmt.Errorf("cron expression %q never happens", s)
	}
	return w, nil
}

// wall carries t's wall-clock reading in loc as a UTC time: a clock
// without daylight-saving changes.
func wall(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), 0, time.UTC)
}

// Next returns the first run strictly after t in loc (time.Local when
// nil), or the zero time when there is none. The expression is matched
// against wall-clock times; each matching wall time becomes the instant
// time.Date gives it in loc. A wall time the clock skips becomes the
// instant after the gap; a wall time that happens twice becomes one of
// its two instants, and the other is never a run. A run whose instant is
// not after t is passed over, so walking Next from run to run yields each
// instant once.
func (w When) Next(t time.Time, loc *time.Location) time.Time {
	if w.sched == nil {
		return time.Time{}
	}
	if loc == nil {
		loc = time.Local
	}
	cur := wall(t, loc)
	for range 10000 {
		nw := w.sched.Next(cur)
		if nw.IsZero() {
			return time.Time{}
		}
		at := time.Date(nw.Year(), nw.Month(), nw.Day(), nw.Hour(), nw.Minute(), 0, 0, loc)
		if at.After(t) {
			return at
		}
		cur = nw
	}
	return time.Time{}
}

package jobs

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Schedule says when a periodic job runs next: the first time strictly
// after t. It has the shape of river's PeriodicSchedule.
type Schedule interface {
	Next(t time.Time) time.Time
}

// DailyAt runs once a day at Hour:Minute wall-clock time in Location
// (time.Local when nil).
type DailyAt struct {
	Hour, Minute int
	Location     *time.Location
}

// ParseDailyAt parses "HH:MM" (24-hour clock) as a daily schedule in loc
// (time.Local when nil). An empty string means disabled: (nil, nil).
func ParseDailyAt(s string, loc *time.Location) (*DailyAt, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	hs, ms, ok := strings.Cut(s, ":")
	h, herr := strconv.Atoi(hs)
	m, merr := strconv.Atoi(ms)
	if !ok || herr != nil || merr != nil || len(ms) != 2 || len(hs) < 1 || len(hs) > 2 ||
		h < 0 || h > 23 || m < 0 || m > 59 {
		return nil, fmt.Errorf("daily time %q: want HH:MM on a 24-hour clock, like 04:00", s)
	}
	return &DailyAt{Hour: h, Minute: m, Location: loc}, nil
}

// String gives the schedule as HH:MM.
func (d *DailyAt) String() string { return fmt.Sprintf("%02d:%02d", d.Hour, d.Minute) }

// Next returns the first Hour:Minute strictly after t, in d's location. On
// a day where a DST change skips that wall-clock time, time.Date moves it
// by the gap (02:30 in a skipped hour runs at 03:30); on a day where the
// time happens twice, it runs once (time.Date picks one of the two).
func (d *DailyAt) Next(t time.Time) time.Time {
	loc := d.Location
	if loc == nil {
		loc = time.Local
	}
	lt := t.In(loc)
	y, mo, day := lt.Date()
	for i := range 3 {
		c := time.Date(y, mo, day+i, d.Hour, d.Minute, 0, 0, loc)
		if c.After(t) {
			return c
		}
	}
	// Unreachable: two days ahead is always after t.
	return time.Date(y, mo, day+2, d.Hour, d.Minute, 0, 0, loc)
}

package schedule

import (
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Berlin on hosts without zone files
)

func TestParseWhen(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"04:00", "daily 04:00"},
		{"daily 4:05", "daily 04:05"},
		{"  Daily   23:59 ", "daily 23:59"},
		{"sun 04:00", "weekly sun 04:00"},
		{"weekly Monday 3:30", "weekly mon 03:30"},
		{"0 4 * * 1-5", "cron 0 4 * * 1-5"},
		{"cron */15 * * * *", "cron */15 * * * *"},
		{"@daily", "cron @daily"},
	} {
		w, err := ParseWhen(c.in)
		if err != nil {
			t.Errorf("ParseWhen(%q): %v", c.in, err)
			continue
		}
		if w.String() != c.want {
			t.Errorf("ParseWhen(%q) = %q, want %q", c.in, w, c.want)
		}
	}
	for _, c := range []struct{ in, want string }{
		{"", "say when"},
		{"24:00", "not a time of day"},
		{"daily 4", "not a time of day"},
		{"weekly someday 04:00", "want a day and a time"},
		{"0 4 * *", "cron expression"},
		{"61 * * * *", "cron expression"},
		{"cron 0 0 30 2 *", "never happens"},
		{"TZ=UTC 0 4 * * *", "time zone"},
		{"@every 5m", "@every"},
	} {
		_, err := ParseWhen(c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseWhen(%q) = %v, want an error saying %q", c.in, err, c.want)
		}
	}
}

// runs walks When.Next from from to until, as the scheduler does.
func runs(w When, from, until time.Time, loc *time.Location) []time.Time {
	var out []time.Time
	for t := w.Next(from, loc); !t.IsZero() && t.Before(until); t = w.Next(t, loc) {
		out = append(out, t)
	}
	return out
}

// TestDailyAcrossDaylightSaving: Europe/Berlin springs forward on 29 March
// 2026 (02:00 → 03:00) and falls back on 25 October 2026 (03:00 → 02:00).
// A daily (or cron) time in the skipped hour runs once that day, after the
// gap; one in the doubled hour runs once; every other day is untouched.
func TestDailyAcrossDaylightSaving(t *testing.T) {
	loc := berlin(t)
	for _, c := range []struct {
		spec      string
		from      time.Time
		wantLocal []string
	}{
		{"daily 02:30", time.Date(2026, 3, 27, 12, 0, 0, 0, loc), []string{
			"2026-03-28 02:30 CET", "2026-03-29 03:30 CEST", "2026-03-30 02:30 CEST", "2026-03-31 02:30 CEST"}},
		{"cron 30 2 * * *", time.Date(2026, 3, 27, 12, 0, 0, 0, loc), []string{
			"2026-03-28 02:30 CET", "2026-03-29 03:30 CEST", "2026-03-30 02:30 CEST", "2026-03-31 02:30 CEST"}},
		{"daily 03:00", time.Date(2026, 3, 27, 12, 0, 0, 0, loc), []string{
			"2026-03-28 03:00 CET", "2026-03-29 03:00 CEST", "2026-03-30 03:00 CEST", "2026-03-31 03:00 CEST"}},
		{"weekly sun 02:15", time.Date(2026, 3, 26, 12, 0, 0, 0, loc), []string{"2026-03-29 03:15 CEST"}},
		{"daily 02:30", time.Date(2026, 10, 23, 12, 0, 0, 0, loc), []string{
			"2026-10-24 02:30 CEST", "2026-10-25 02:30 CET", "2026-10-26 02:30 CET", "2026-10-27 02:30 CET"}},
		{"daily 01:30", time.Date(2026, 10, 23, 12, 0, 0, 0, loc), []string{
			"2026-10-24 01:30 CEST", "2026-10-25 01:30 CEST", "2026-10-26 01:30 CET", "2026-10-27 01:30 CET"}},
	} {
		w, err := ParseWhen(c.spec)
		if err != nil {
			t.Fatal(err)
		}
		got := runs(w, c.from, c.from.Add(4*24*time.Hour), loc)
		var gotS []string
		for _, r := range got {
			gotS = append(gotS, r.In(loc).Format("2006-01-02 15:04 MST"))
		}
		if strings.Join(gotS, ", ") != strings.Join(c.wantLocal, ", ") {
			t.Errorf("%s from %v:\n got  %v\n want %v", c.spec, c.from, gotS, c.wantLocal)
		}
	}
}

// TestHourlyAcrossFallBack: an hourly expression never yields one instant
// twice, and runs go forward, over both changes.
func TestHourlyAcrossDaylightSaving(t *testing.T) {
	loc := berlin(t)
	w, err := ParseWhen("cron 30 * * * *")
	if err != nil {
		t.Fatal(err)
	}
	for _, from := range []time.Time{time.Date(2026, 3, 28, 22, 0, 0, 0, loc), time.Date(2026, 10, 24, 22, 0, 0, 0, loc)} {
		got := runs(w, from, from.Add(8*time.Hour), loc)
		seen := map[int64]bool{}
		for i, r := range got {
			if seen[r.Unix()] {
				t.Errorf("from %v: %v twice", from, r)
			}
			seen[r.Unix()] = true
			if i > 0 && !r.After(got[i-1]) {
				t.Errorf("from %v: %v after %v", from, r, got[i-1])
			}
		}
		// 8 hours of wall clock hold 7 or 8 runs, never more than 8.
		if len(got) < 7 || len(got) > 8 {
			t.Errorf("from %v: %d runs in 8 hours: %v", from, len(got), got)
		}
	}
}

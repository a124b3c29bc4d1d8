package jobs

import (
	"testing"
	"time"
	_ "time/tzdata" // fixed zone data for the DST cases
)

func TestDailyAtNext(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	utc := time.UTC
	at := func(loc *time.Location, s string) time.Time {
		t.Helper()
		v, err := time.ParseInLocation("2006-01-02 15:04:05", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name  string
		sched DailyAt
		from  time.Time
		want  time.Time
	}{
		{"earlier the same day", DailyAt{4, 0, utc}, at(utc, "2026-03-10 01:00:00"), at(utc, "2026-03-10 04:00:00")},
		{"exactly at: the next day", DailyAt{4, 0, utc}, at(utc, "2026-03-10 04:00:00"), at(utc, "2026-03-11 04:00:00")},
		{"just after", DailyAt{4, 0, utc}, at(utc, "2026-03-10 04:00:00").Add(time.Nanosecond), at(utc, "2026-03-11 04:00:00")},
		{"just before", DailyAt{4, 0, utc}, at(utc, "2026-03-10 03:59:59"), at(utc, "2026-03-10 04:00:00")},
		{"month end", DailyAt{23, 30, utc}, at(utc, "2026-01-31 23:45:00"), at(utc, "2026-02-01 23:30:00")},
		{"year end", DailyAt{0, 0, utc}, at(utc, "2026-12-31 12:00:00"), at(utc, "2027-01-01 00:00:00")},
		{"leap day", DailyAt{4, 0, utc}, at(utc, "2028-02-28 05:00:00"), at(utc, "2028-02-29 04:00:00")},
		// Input in another zone: local wall-clock time counts.
		{"other zone input", DailyAt{4, 0, berlin}, at(utc, "2026-06-01 01:30:00"), at(berlin, "2026-06-01 04:00:00")},
		{"other zone passed", DailyAt{4, 0, berlin}, at(utc, "2026-06-01 02:30:00"), at(berlin, "2026-06-02 04:00:00")},
		// Spring forward (02:00 -> 03:00 on 2026-03-29): 04:00 is still 04:00
		// local, 23 hours after the previous run.
		{"spring forward", DailyAt{4, 0, berlin}, at(berlin, "2026-03-28 04:00:00"), at(berlin, "2026-03-29 04:00:00")},
		// A skipped wall-clock time moves by the gap.
		{"skipped time", DailyAt{2, 30, berlin}, at(berlin, "2026-03-28 12:00:00"), at(berlin, "2026-03-29 03:30:00")},
		{"fall back", DailyAt{4, 0, berlin}, at(berlin, "2026-10-24 04:00:00"), at(berlin, "2026-10-25 04:00:00")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.sched.Next(tc.from)
			if !got.Equal(tc.want) {
				t.Errorf("Next(%v) = %v, want %v", tc.from, got, tc.want)
			}
			if !got.After(tc.from) {
				t.Errorf("Next(%v) = %v is not after its input", tc.from, got)
			}
		})
	}
}

func TestParseDailyAt(t *testing.T) {
	tests := []struct {
		in      string
		h, m    int
		wantNil bool
		wantErr bool
	}{
		{in: "04:00", h: 4},
		{in: "4:05", h: 4, m: 5},
		{in: " 23:59 ", h: 23, m: 59},
		{in: "00:00"},
		{in: "", wantNil: true},
		{in: "24:00", wantErr: true},
		{in: "12:60", wantErr: true},
		{in: "12", wantErr: true},
		{in: "12:5", wantErr: true},
		{in: "-1:00", wantErr: true},
		{in: "4am", wantErr: true},
		{in: "04:00:00", wantErr: true},
		{in: "123:00", wantErr: true},
	}
	for _, tc := range tests {
		got, err := ParseDailyAt(tc.in, time.UTC)
		switch {
		case tc.wantErr:
			if err == nil {
				t.Errorf("ParseDailyAt(%q): no error", tc.in)
			}
		case err != nil:
			t.Errorf("ParseDailyAt(%q): %v", tc.in, err)
		case tc.wantNil:
			if got != nil {
				t.Errorf("ParseDailyAt(%q) = %v, want nil", tc.in, got)
			}
		case got == nil || got.Hour != tc.h || got.Minute != tc.m:
			t.Errorf("ParseDailyAt(%q) = %+v, want %02d:%02d", tc.in, got, tc.h, tc.m)
		}
	}
}

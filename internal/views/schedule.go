package views

import (
	"strings"
	"time"

	"github.com/left4me/left4me/internal/schedule"
)

// Schedule is one schedule of an instance.
type Schedule struct {
	ID       int64  `json:"id"`
	Instance string `json:"instance"`
	Action   string `json:"action"`
	// Command is the console command of an rcon action (absent otherwise).
	Command string `json:"command,omitempty"`
	// When is the time as the API and the CLI take it: "daily 04:00",
	// "weekly sun 04:00" or "cron EXPR", in the host's time zone.
	When string `json:"when"`
	// TimeZone is the host's time zone the times are in.
	TimeZone string `json:"time_zone"`
	Policy   string `json:"policy"`
	// MaxWait and OnTimeout belong to the when-empty policy only.
	MaxWait   string `json:"max_wait,omitempty"`
	OnTimeout string `json:"on_timeout,omitempty"`
	// NextRun is when it next runs (absent: never).
	NextRun   time.Time `json:"next_run,omitzero"`
	CreatedAt time.Time `json:"created_at"`
}

// NewSchedule is the view of sc; next is its next run and loc the host's
// time zone.
func NewSchedule(sc schedule.Schedule, next time.Time, loc *time.Location) Schedule {
	v := Schedule{
		ID: sc.ID, Instance: sc.Instance, Action: string(sc.Action), Command: sc.Command,
		When: sc.When.String(), TimeZone: schedule.ZoneName(loc, time.Now()), Policy: string(sc.Policy),
		CreatedAt: sc.CreatedAt.UTC(),
	}
	if !next.IsZero() {
		v.NextRun = next.UTC()
	}
	if sc.Policy == schedule.WhenEmpty {
		v.MaxWait, v.OnTimeout = shortDuration(sc.MaxWait), string(sc.OnTimeout)
	}
	return v
}

// shortDuration is d as time.ParseDuration reads it, without zero units:
// "2h", "1h30m", "45s", "0s".
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

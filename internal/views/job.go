package views

import (
	"encoding/json"
	"strconv"

	"github.com/left4me/left4me/internal/content"
	"github.com/left4me/left4me/internal/jobs"
	"github.com/left4me/left4me/internal/notify"
	"github.com/left4me/left4me/internal/schedule"
	"github.com/left4me/left4me/internal/workshop"
)

// Job is a background job: the queue's record and what it is for a person.
type Job struct {
	jobs.Job
	// UserID, Errors and CancelRequested override the record's fields to
	// keep the null rules: the id (0: the system), the list and the
	// boolean are always present.
	UserID          int64               `json:"user_id"`
	Errors          []jobs.AttemptError `json:"errors"`
	CancelRequested bool                `json:"cancel_requested"`
	// Title says what the job does ("Build layer comp").
	Title string `json:"title"`
	// User is the name of who asked ("system" for periodic jobs).
	User string `json:"user"`
	// Percent is Progress as a whole percentage.
	Percent int `json:"percent"`
	// Cancellable: queued, waiting to retry, or running without a cancel
	// request yet.
	Cancellable bool `json:"cancellable"`
}

// NewJob is the view of j; names names who asked for it.
func NewJob(j jobs.Job, names Names) Job {
	v := Job{Job: j, UserID: j.UserID, Errors: nonNil(j.Errors), CancelRequested: j.CancelRequested, Title: JobTitle(j), User: names.User(j.UserID), Percent: int(j.Progress*100 + 0.5)}
	if len(v.Args) == 0 || string(v.Args) == "null" {
		v.Args = json.RawMessage("{}")
	}
	switch j.State {
	case jobs.StateQueued, jobs.StateRetrying:
		v.Cancellable = true
	case jobs.StateRunning:
		v.Cancellable = !j.CancelRequested
	}
	return v
}

// JobTitle describes a job by its kind and arguments.
func JobTitle(j jobs.Job) string {
	switch j.Kind {
	case content.KindInstall:
		var a content.InstallArgs
		json.Unmarshal(j.Args, &a)
		if a.Validate {
			return "Install / update the game (validate)"
		}
		return "Install / update the game"
	case content.KindOverlayBuild:
		var a content.BuildArgs
		json.Unmarshal(j.Args, &a)
		return "Build layer " + a.LayerID
	case content.KindGC:
		return "Garbage-collect old generations"
	case workshop.KindDownload:
		var a workshop.DownloadArgs
		json.Unmarshal(j.Args, &a)
		return "Add " + strconv.Itoa(len(a.Refs)) + " Workshop item(s) to layer " + a.Layer
	case workshop.KindRefresh:
		return "Refresh Workshop items"
	case schedule.KindRun:
		var a schedule.RunArgs
		json.Unmarshal(j.Args, &a)
		return "Scheduled " + string(a.Action) + " of " + a.Instance + " (schedule " + strconv.FormatInt(a.ScheduleID, 10) + ")"
	case schedule.KindRollingRestart:
		return "Rolling restart of instances on an older generation"
	case notify.KindDelivery:
		var a struct {
			WebhookID int64  `json:"webhook_id"`
			Event     string `json:"event"`
			Instance  string `json:"instance"`
		}
		json.Unmarshal(j.Args, &a)
		t := "Send " + a.Event + " to webhook " + strconv.FormatInt(a.WebhookID, 10)
		if a.Instance != "" {
			t += " (" + a.Instance + ")"
		}
		return t
	}
	return j.Kind
}

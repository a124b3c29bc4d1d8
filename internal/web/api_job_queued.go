package web

import "net/http"

// jobQueued is the answer of every API call that queues a job.
type jobQueued struct {
	JobID int64 `json:"job_id"`
	// Duplicate: the same job was already queued or running; JobID is it.
	Duplicate bool   `json:"duplicate"`
	URL       string `json:"url"` // the job's API resource
}

func writeQueued(w http.ResponseWriter, id int64, dup bool) {
	status := http.StatusAccepted
	if dup {
		status = http.StatusOK
	}
	writeJSON(w, status, jobQueued{JobID: id, Duplicate: dup, URL: "/api/v1" + jobURL(id)})
}

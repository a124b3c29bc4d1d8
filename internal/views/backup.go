package views

import (
	"net/url"
	"time"

	"github.com/left4me/left4me/internal/backup"
)

// Backup is one stored backup of an instance.
type Backup struct {
	File     string `json:"file"`
	Instance string `json:"instance"`
	// Kind is "manual" or "scheduled" (only scheduled ones are pruned by
	// the retention).
	Kind      string    `json:"kind"`
	Size      int64     `json:"size"`
	CreatedAt time.Time `json:"created_at"`
	// Download is the API path that answers the archive.
	Download string `json:"download"`
}

// NewBackup is b as the API and the CLI show it.
func NewBackup(b backup.Info) Backup {
	return Backup{File: b.File, Instance: b.Instance, Kind: b.Kind, Size: b.Size, CreatedAt: b.CreatedAt.UTC(),
		Download: "/api/v1/instances/" + url.PathEscape(b.Instance) + "/backups/" + url.PathEscape(b.File)}
}

// NewBackups lists bs, never nil.
func NewBackups(bs []backup.Info) []Backup {
	out := make([]Backup, 0, len(bs))
	for _, b := range bs {
		out = append(out, NewBackup(b))
	}
	return out
}

// Retention is how many scheduled backups of an instance are kept.
type Retention struct {
	KeepDaily  int `json:"keep_daily"`
	KeepWeekly int `json:"keep_weekly"`
}

// Restored is the answer to a restore: the new instance and what the
// operator should know (generations that are gone, a port that was taken).
type Restored struct {
	Instance Instance `json:"instance"`
	Warnings []string `json:"warnings"`
}

// Package backup writes an instance into one archive (tar + zstd) and
// restores one: its private upper directory, its record (stack, arguments,
// server.cfg, port, owner, schedules, watchdog and autostart settings,
// backup retention; the RCON password only when asked) and a manifest with
// the SHA-256 of every file. A restore verifies everything before it
// creates anything (docs/operations.md, "Backups").
package backup

import (
	"errors"
	"time"

	"github.com/left4me/left4me/internal/layout"
)

// Format is the version of the archive layout this package writes.
const Format = 1

// Names of the archive's entries besides upper/.
const (
	recordEntry   = "instance.json"
	manifestEntry = "manifest.json"
	upperEntry    = "upper"
)

// Ext is the file name extension of a backup.
const Ext = ".tar.zst"

// Errors of a restore. A refused archive is ErrRefused (with one of the
// others where it says which); nothing has been created then.
var (
	// ErrRefused: the archive is not a backup this package accepts.
	ErrRefused = errors.New("backup archive refused")
	// ErrCorrupt: the archive cannot be read, or a file differs from its
	// manifest (changed, added or missing).
	ErrCorrupt = errors.New("archive is corrupt or was changed after it was made")
	// ErrUnsafe: an entry would write outside the instance's upper
	// directory (absolute path, "..", a link pointing out) or is a device.
	ErrUnsafe = errors.New("archive holds an unsafe entry")
	// ErrNotFound: no such backup.
	ErrNotFound = errors.New("backup not found")
)

// LayerRef is one layer of the stack as it was: its id and the generation
// the instance was staged on (or the newest one when it never started).
type LayerRef struct {
	ID         string `json:"id"`
	Generation string `json:"generation,omitempty"`
}

// ScheduleRec is one schedule of the instance, as internal/schedule's Spec
// takes it again.
type ScheduleRec struct {
	Action    string `json:"action"`
	Command   string `json:"command,omitempty"`
	When      string `json:"when"`
	Policy    string `json:"policy,omitempty"`
	MaxWait   string `json:"max_wait,omitempty"`
	OnTimeout string `json:"on_timeout,omitempty"`
}

// Retention is how many scheduled backups of an instance are kept: the
// newest of each of the last KeepDaily days and of the last KeepWeekly
// weeks that have one.
type Retention struct {
	KeepDaily  int `json:"keep_daily"`
	KeepWeekly int `json:"keep_weekly"`
}

// DefaultRetention applies to an instance that has none of its own.
var DefaultRetention = Retention{KeepDaily: 7, KeepWeekly: 4}

// MaxKeep bounds each count of a retention.
const MaxKeep = 366

// Record is the instance as a backup holds it. It never holds session data
// (players, live state, the console) and holds the RCON password only when
// the backup was asked for it.
type Record struct {
	Format       int           `json:"format"`
	Name         string        `json:"name"`
	Owner        string        `json:"owner"`
	Port         int           `json:"port"`
	Installation string        `json:"installation,omitempty"`
	Layers       []LayerRef    `json:"layers"`
	Pins         layout.Pins   `json:"pins,omitempty"`
	Args         []string      `json:"args"`
	ServerCfg    string        `json:"server_cfg"`
	Watchdog     bool          `json:"watchdog"`
	Autostart    bool          `json:"autostart"`
	Schedules    []ScheduleRec `json:"schedules"`
	Retention    *Retention    `json:"retention,omitempty"`
	RCONPassword string        `json:"rcon_password,omitempty"`
	CreatedAt    time.Time     `json:"created_at"`
}

// Entry types of the manifest.
const (
	typeFile     = "file"
	typeDir      = "dir"
	typeSymlink  = "symlink"
	typeWhiteout = "whiteout"
)

// ManifestEntry is one entry of the archive as the manifest lists it.
type ManifestEntry struct {
	Path   string `json:"path"`
	Type   string `json:"type"`
	Mode   uint32 `json:"mode,omitempty"`
	Size   int64  `json:"size,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
	Target string `json:"target,omitempty"`
}

// Manifest lists every entry of the archive but itself, in order.
type Manifest struct {
	Format  int             `json:"format"`
	Entries []ManifestEntry `json:"entries"`
}

// Package layout names every path of the left4me state root in one place.
//
// The tree (docs/architecture.md §3):
//
//	installations/<generation>/     base game trees
//	overlays/<id>/<generation>/     content layers
//	workshop/<item-id>/<revision>/  downloaded Workshop items, one layer each
//	instances/<name>/instance.env   what the unit reads
//	instances/<name>/server.cfg     the operator's config, staged into upper before start
//	runtime/<name>/{upper,work,merged}
//	builds/<id>/                    inputs and logs of content builds
//	backups/<name>/                 the instances' backups (internal/backup)
//	steam/                          steamcmd and the sdk32 link srcds needs
//	left4me.db                      SQLite (WAL)
//
// This package depends on the standard library only, because the privileged
// overlay helper imports it.
package layout

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
)

// DefaultRoot is the state root used when LEFT4ME_ROOT (RootEnv) is unset.
const DefaultRoot = "/var/lib/left4me"

// RootEnv names the environment variable that overrides DefaultRoot. The
// commands read it (this package reads no environment); the overlay
// helper finds it in its settings file.
const RootEnv = "LEFT4ME_ROOT"

// Root is an absolute, cleaned state root directory.
type Root string

// New returns dir as a Root. dir must be absolute.
func New(dir string) (Root, error) {
	if !filepath.IsAbs(dir) {
		return "", fmt.Errorf("state root %q: must be an absolute path", dir)
	}
	return Root(filepath.Clean(dir)), nil
}

// String returns the root directory.
func (r Root) String() string { return string(r) }

func (r Root) join(elem ...string) string {
	return filepath.Join(append([]string{string(r)}, elem...)...)
}

// Installations is the directory holding base game generations.
func (r Root) Installations() string { return r.join("installations") }

// Installation is one generation of the base game.
func (r Root) Installation(gen string) string { return r.join("installations", gen) }

// Overlays is the directory holding content layers.
func (r Root) Overlays() string { return r.join("overlays") }

// Overlay is one generation of a content layer.
func (r Root) Overlay(id, gen string) string { return r.join("overlays", id, gen) }

// Workshop is the directory holding downloaded Workshop items.
func (r Root) Workshop() string { return r.join("workshop") }

// WorkshopItem is one revision of a Workshop item (a layer of its own).
func (r Root) WorkshopItem(id, revision string) string { return r.join("workshop", id, revision) }

// Instances is the directory holding per-instance configuration.
func (r Root) Instances() string { return r.join("instances") }

// Instance is one instance's configuration directory.
func (r Root) Instance(name string) string { return r.join("instances", name) }

// InstanceEnv is the EnvironmentFile= the instance's unit reads.
func (r Root) InstanceEnv(name string) string { return r.join("instances", name, "instance.env") }

// ServerCfg is the operator's server.cfg for an instance.
func (r Root) ServerCfg(name string) string { return r.join("instances", name, "server.cfg") }

// Runtimes is the directory holding per-instance overlay directories.
func (r Root) Runtimes() string { return r.join("runtime") }

// Runtime is one instance's overlay directory (upper, work, merged).
func (r Root) Runtime(name string) string { return r.join("runtime", name) }

// Upper is the instance's private writable overlay layer.
func (r Root) Upper(name string) string { return r.join("runtime", name, "upper") }

// Work is the overlayfs work directory of the instance.
func (r Root) Work(name string) string { return r.join("runtime", name, "work") }

// Merged is the mount point of the instance's overlay.
func (r Root) Merged(name string) string { return r.join("runtime", name, "merged") }

// UpperServerCfg is where server.cfg is staged inside upper (rule 8).
func (r Root) UpperServerCfg(name string) string {
	return r.join("runtime", name, "upper", "left4dead2", "cfg", "server.cfg")
}

// Builds is the directory holding content build inputs and logs.
func (r Root) Builds() string { return r.join("builds") }

// Build is one content build's directory.
func (r Root) Build(id string) string { return r.join("builds", id) }

// Backups is the default directory of the instances' backups, one
// directory per instance (LEFT4ME_BACKUP_DIR may name another).
func (r Root) Backups() string { return r.join("backups") }

// Steam is the directory holding steamcmd and the sdk32 link.
func (r Root) Steam() string { return r.join("steam") }

// Database is the SQLite database file.
func (r Root) Database() string { return r.join("left4me.db") }

// PanelDir is the directory, owner-only, of the running panel's local
// socket.
func (r Root) PanelDir() string { return r.join("panel") }

// PanelSocket is the Unix socket on which a running panel (serve or demo)
// answers the CLI (docs/operations.md §2).
func (r Root) PanelSocket() string { return r.join("panel", "api.sock") }

// LayerParents are the directories a lower layer may live in.
func (r Root) LayerParents() []string {
	return []string{r.Installations(), r.Overlays(), r.Workshop()}
}

// Create makes the top-level directories of the tree with the given mode.
func (r Root) Create(perm os.FileMode) error {
	for _, dir := range []string{
		string(r), r.Installations(), r.Overlays(), r.Workshop(),
		r.Instances(), r.Runtimes(), r.Builds(), r.Steam(),
	} {
		if err := os.MkdirAll(dir, perm); err != nil {
			return fmt.Errorf("create state root: %w", err)
		}
	}
	return nil
}

// MaxNameLen is the longest instance name allowed.
const MaxNameLen = 64

var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// ErrInvalidName is returned (wrapped) for a name that does not match the pattern.
var ErrInvalidName = errors.New("invalid instance name")

// ValidateName checks an instance name against ^[a-z0-9][a-z0-9_-]{0,63}$.
func ValidateName(name string) error {
	if !namePattern.MatchString(name) {
		return fmt.Errorf("%w %q: use 1-64 characters a-z, 0-9, '_' or '-', starting with a letter or digit", ErrInvalidName, name)
	}
	return nil
}

package instance

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/left4me/left4me/internal/atomicfile"
	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/overlay"
)

// newestGeneration returns the newest generation of content layer id, as
// layout.Newest picks it.
func newestGeneration(overlays, id string) (string, error) {
	gen, err := layout.Newest(filepath.Join(overlays, id))
	if err != nil {
		return "", fmt.Errorf("layer %q: %w", id, err)
	}
	if gen == "" {
		return "", fmt.Errorf("%w: layer %q has no generation under %s", ErrNoLayer, id, filepath.Join(overlays, id))
	}
	return gen, nil
}

// isMountPoint reports whether path is the root of a mount; a path that
// cannot be examined counts as not mounted.
func isMountPoint(path string) bool {
	ok, err := overlay.IsMounted(path)
	return err == nil && ok
}

// fileOwner returns the uid and gid files under the state root should have.
// An unprivileged service creates files as itself (-1, -1: keep). When run as
// root (the CLI on a production host), files get the owner of the state root
// so that the service user and the server unit can still use them
// (docs/lifecycle.md rule 8: staged files belong to the service user).
func (s *Service) fileOwner() (uid, gid int) {
	if os.Geteuid() != 0 {
		return -1, -1
	}
	var st syscall.Stat_t
	if err := syscall.Stat(s.root.String(), &st); err != nil || st.Uid == 0 {
		return -1, -1
	}
	return int(st.Uid), int(st.Gid)
}

func (s *Service) chown(path string) error {
	uid, gid := s.fileOwner()
	if uid == -1 && gid == -1 {
		return nil
	}
	if err := os.Lchown(path, uid, gid); err != nil {
		return fmt.Errorf("chown %s: %w", path, err)
	}
	return nil
}

// mkdirOwned creates dir (and missing parents) owned like the state root.
func (s *Service) mkdirOwned(dir string, perm os.FileMode) error {
	if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
		return nil
	}
	if parent := filepath.Dir(dir); parent != dir {
		if err := s.mkdirOwned(parent, perm); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, perm); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	return s.chown(dir)
}

// writeFile replaces path atomically with data: readers see the old or the
// new content, never a mix, and a failed write leaves the old file.
func (s *Service) writeFile(path string, data []byte, perm os.FileMode) error {
	uid, gid := s.fileOwner()
	return atomicfile.WriteFile(path, data, atomicfile.Options{Perm: perm, UID: uid, GID: gid})
}

// ensureRuntime makes runtime/NAME/{upper,work,merged} if missing.
func (s *Service) ensureRuntime(name string) error {
	for _, dir := range []string{s.root.Upper(name), s.root.Work(name), s.root.Merged(name)} {
		if err := s.mkdirOwned(dir, 0o755); err != nil {
			return err
		}
	}
	return nil
}

// checkUnmounted refuses to touch runtime/NAME while its overlay is mounted
// or while the kernel's work/work directory is still there.
func (s *Service) checkUnmounted(name string) error {
	if isMountPoint(s.root.Merged(name)) {
		return fmt.Errorf("%w: %s (the unit's ExecStopPost should have unmounted it)", ErrMounted, s.root.Merged(name))
	}
	// NOTE: docs/lifecycle.md rule 7 — the kernel creates work/work root-owned
	// with mode 000; the helper removes it after unmounting. If it is still
	// there an unprivileged remove fails with EACCES deep in the tree: say
	// what is wrong instead.
	ww := filepath.Join(s.root.Work(name), "work")
	if _, err := os.Lstat(ww); err == nil && os.Geteuid() != 0 {
		return fmt.Errorf("%w: %s is still there (left by overlayfs; `left4me-overlay umount %s` as root removes it)", ErrMounted, ww, name)
	}
	return nil
}

// removeTree removes dir and everything below it; a missing dir is fine.
func (s *Service) removeTree(name, dir string) error {
	if err := s.checkUnmounted(name); err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove %s: %w", dir, err)
	}
	return nil
}

// stage writes what the unit and the server read at start: instance.env,
// the staged server.cfg and the launch cfg (launchcfg.go) in upper.
//
// NOTE: docs/lifecycle.md rule 8 — files are staged on the host file system into
// upper/ before the overlay is mounted, as the service user, so overlayfs
// never copies them up as another owner. Rule 12 — the generation of
// every layer is chosen here (stack: the pinned one, else the default), so
// a rebuilt layer reaches an instance only when it (re)starts.
func (s *Service) stage(in Instance) error {
	lower, err := s.lowerDirs(in)
	if err != nil {
		return fmt.Errorf("stage %s: %w", in.Name, err)
	}
	env := overlay.Env{LowerDirs: lower, Port: in.Port, ClientPort: ClientPort(in.Port), Args: in.Args}

	if err := s.mkdirOwned(s.root.Instance(in.Name), 0o750); err != nil {
		return err
	}
	if err := s.ensureRuntime(in.Name); err != nil {
		return err
	}
	if isMountPoint(s.root.Merged(in.Name)) {
		// NOTE: rules 7, 8 and 12 — the helper's mount is idempotent, so
		// the server would run on the old mount while a new instance.env
		// named other layers: GC, reading instance.env, could then remove
		// a lower layer under the mount, and staging would write into
		// upper/ under it. A mount left by a failed ExecStopPost (or a
		// unit still stopping) is reported instead.
		return fmt.Errorf("stage %s: %w: %s (the unit's ExecStopPost has not unmounted it; wait for the stop to finish, or `left4me-overlay umount %s` as root)", in.Name, ErrMounted, s.root.Merged(in.Name), in.Name)
	}
	s.pruneStagedLogs(in.Name)
	uid, gid := s.fileOwner()
	if err := overlay.WriteEnvFile(s.root.InstanceEnv(in.Name), env, uid, gid); err != nil {
		return fmt.Errorf("stage %s: %w", in.Name, err)
	}
	cfg, err := os.ReadFile(s.root.ServerCfg(in.Name))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("stage %s: %w", in.Name, err)
	}
	// NOTE: the RCON password goes into the launch cfg, run once, not into
	// server.cfg, which runs at every map start: setting it closes every
	// RCON connection (docs/srcds.md §8). An operator's own rcon_password
	// lines are commented out for the same reason.
	text := neutraliseRCONPassword(string(cfg))
	staged := s.root.UpperServerCfg(in.Name)
	if err := s.mkdirOwned(filepath.Dir(staged), 0o755); err != nil {
		return fmt.Errorf("stage %s: %w", in.Name, err)
	}
	if err := s.writeFile(staged, []byte(text), 0o640); err != nil {
		return fmt.Errorf("stage %s: %w", in.Name, err)
	}
	launch := filepath.Join(filepath.Dir(staged), LaunchCfgName)
	if err := s.writeFile(launch, []byte(s.launchCfg(in.RCONPassword)), 0o640); err != nil {
		return fmt.Errorf("stage %s: %w", in.Name, err)
	}
	return nil
}

// lowerDirs is the stack the instance's next start mounts, uppermost
// first, the installation last: each layer's pinned generation, else its
// default (stack, pins.go).
func (s *Service) lowerDirs(in Instance) ([]string, error) {
	return s.stack(in)
}

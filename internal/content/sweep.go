package content

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/left4me/left4me/internal/archive"
	"github.com/left4me/left4me/internal/layout"
)

// uploadPrefix starts the build id (and directory name under builds/) of
// an upload (NewBuildID("upload", …)).
const uploadPrefix = "upload-"

// uploadExtract is the directory an upload is unpacked into, inside its
// build directory; archive.Extract works in a dot-named sibling of it
// (".upload" + archive.TempPrefix + random) and renames it into place.
const uploadExtract = "upload"

// lockBuildDir takes an exclusive flock on the build directory dir for as
// long as its owner works there; the kernel drops it when the process dies,
// however it dies. SweepUploads leaves a locked directory alone. It waits
// for a sweep that holds the lock (a short one: the sweep only removes
// leftovers).
func lockBuildDir(dir string) (unlock func(), err error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("lock build directory: %w", err)
	}
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock build directory %s: %w", dir, err)
	}
	return func() { f.Close() }, nil
}

// tryLockBuildDir takes dir's flock without waiting; held is set (and
// unlock nil) when a live process holds it.
func tryLockBuildDir(dir string) (unlock func(), held bool, err error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, false, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, true, nil
		}
		return nil, false, fmt.Errorf("lock build directory %s: %w", dir, err)
	}
	return func() { f.Close() }, false, nil
}

// uploadLeftover reports whether name, inside an upload's build directory,
// is part of an unfinished upload: the unpacked archive, archive.Extract's
// temporary directory, or the tree being merged. build.log stays (GC
// removes the whole directory after the grace period).
func uploadLeftover(name string) bool {
	return name == uploadExtract || name == BuildOutput ||
		strings.HasPrefix(name, "."+uploadExtract+archive.TempPrefix)
}

// SweepUploads removes what killed uploads left in builds/upload-*/: the
// unpacked archive, archive.Extract's temporary directory and the
// unpublished tree. A running upload holds its directory's flock
// (lockBuildDir) from before it writes anything until it is done, so a
// directory whose lock can be taken belongs to no live process, whatever
// its age; a locked one is left alone. It returns the paths removed. The
// panel sweeps when it starts (RecoverBuilds) and GC sweeps on every run.
func SweepUploads(root layout.Root) ([]string, error) {
	entries, err := os.ReadDir(root.Builds())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sweep uploads: %w", err)
	}
	var removed []string
	var errs []error
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), uploadPrefix) {
			continue
		}
		dir := filepath.Join(root.Builds(), e.Name())
		r, err := sweepUpload(dir)
		removed = append(removed, r...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return removed, errors.Join(errs...)
}

func sweepUpload(dir string) ([]string, error) {
	unlock, held, err := tryLockBuildDir(dir)
	if errors.Is(err, fs.ErrNotExist) || held {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sweep uploads: %w", err)
	}
	defer unlock()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("sweep uploads: %w", err)
	}
	var removed []string
	for _, e := range entries {
		if !uploadLeftover(e.Name()) {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if err := RemoveTree(p); err != nil {
			return removed, fmt.Errorf("sweep uploads: %w", err)
		}
		removed = append(removed, p)
	}
	return removed, nil
}

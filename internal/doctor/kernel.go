package doctor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/overlay"
)

// TestMounter mounts a throw-away overlay of n lower layers in a new
// temporary directory below dir with one technique, unmounts it and removes
// the directory.
type TestMounter interface {
	TestMount(dir string, layers int, t overlay.Technique) error
}

// CheckKernel: overlayfs is there and takes "lowerdir+" (the fsconfig mount
// API of Linux 6.8+), and how many layers a mount may have. As root it
// mounts a real overlay of overlay.MaxLayers layers on the state root's file
// system; as anyone else it can only read the kernel version.
func (d *Doctor) CheckKernel(ctx context.Context) Result {
	const name = "kernel-overlay"
	release := strings.TrimSpace(readString(d.sys("/proc/sys/kernel/osrelease")))
	listed := strings.Contains(readString(d.sys("/proc/filesystems")), "\toverlay\n")
	newAPI := kernelAtLeast(release, 6, 8)
	if !d.Identity.root() {
		r := Result{Name: name, Unchecked: "the test mount (needs root)"}
		switch {
		case !listed:
			r.Status, r.Found = Warn, fmt.Sprintf("Linux %s: overlay is not in /proc/filesystems (the module loads on the first mount)", release)
			r.Fix = "modprobe overlay, or run the doctor as root to try a mount"
		case newAPI:
			r.Status, r.Found = OK, fmt.Sprintf("Linux %s with overlayfs: lowerdir+ expected (6.8+), up to %d layers", release, overlay.MaxLayers)
		default:
			r.Status, r.Found = OK, fmt.Sprintf("Linux %s with overlayfs: no lowerdir+ before 6.8, mounts use the mount(2) fallback", release)
		}
		return r
	}
	dir := d.Config.Root.String()
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		dir = os.TempDir()
	}
	apiErr := d.Mounter.TestMount(dir, overlay.MaxLayers, overlay.TechniqueMountAPI)
	if apiErr == nil {
		return ok(name, fmt.Sprintf("Linux %s: a %d-layer overlay mounted with lowerdir+ (fsconfig) on %s; max %d layers", release, overlay.MaxLayers, dir, overlay.MaxLayers))
	}
	legacyErr := d.Mounter.TestMount(dir, overlay.MaxLayers, overlay.TechniqueLegacy)
	if legacyErr == nil {
		r := ok(name, fmt.Sprintf("Linux %s: no lowerdir+ (%v); a %d-layer overlay mounted with the mount(2) fallback on %s; max %d layers", release, apiErr, overlay.MaxLayers, dir, overlay.MaxLayers))
		if newAPI {
			// A 6.8+ kernel that refuses lowerdir+ is unexpected.
			r.Status, r.Fix = Warn, "Linux 6.8+ should take lowerdir+; check the kernel's overlayfs build"
		}
		return r
	}
	return fail(name, fmt.Sprintf("Linux %s: no overlay could be mounted on %s: %v (and with mount(2): %v)", release, dir, apiErr, legacyErr),
		"load overlayfs (modprobe overlay) and keep the state root on a file system overlayfs accepts as upper (ext4, XFS with ftype=1, btrfs)")
}

// kernelAtLeast reports whether a release like "6.12.48+deb13-amd64" is at
// least major.minor.
func kernelAtLeast(release string, major, minor int) bool {
	parts := strings.SplitN(release, ".", 3)
	if len(parts) < 2 {
		return false
	}
	ma, err1 := strconv.Atoi(parts[0])
	mi, err2 := strconv.Atoi(leadingDigits(parts[1]))
	if err1 != nil || err2 != nil {
		return false
	}
	return ma > major || (ma == major && mi >= minor)
}

// leadingDigits returns the digits s starts with ("10" of "10rc1").
func leadingDigits(s string) string {
	end := 0
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	return s[:end]
}

func readString(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return string(b)
}

// OverlayTestMounter is the real TestMounter: it builds a miniature state
// root (installations/, overlays/, runtime/doctor-probe/) and mounts it with
// the same code the helper uses (overlay.Mount).
type OverlayTestMounter struct{}

// TestMount implements TestMounter.
func (OverlayTestMounter) TestMount(dir string, layers int, t overlay.Technique) (err error) {
	tmp, err := os.MkdirTemp(dir, ".doctor-mount-")
	if err != nil {
		return fmt.Errorf("test mount: %w", err)
	}
	defer func() {
		if rmErr := os.RemoveAll(tmp); rmErr != nil {
			err = errors.Join(err, fmt.Errorf("test mount: remove %s: %w", tmp, rmErr))
		}
	}()
	root := layout.Root(filepath.Clean(tmp))
	p := overlay.Plan{Root: root.String(), Name: ProbeUnitName,
		Upper: root.Upper(ProbeUnitName), Work: root.Work(ProbeUnitName), Target: root.Merged(ProbeUnitName)}
	for i := 1; i < layers; i++ {
		p.Lower = append(p.Lower, root.Overlay("l"+strconv.Itoa(i), "1"))
	}
	p.Lower = append(p.Lower, root.Installation("base"))
	for _, dir := range append(append([]string{}, p.Lower...), p.Upper, p.Work, p.Target) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("test mount: %w", err)
		}
	}
	if _, err := overlay.Mount(p, overlay.MountOptions{Technique: t}); err != nil {
		return err
	}
	if _, err := overlay.Unmount(overlay.UnmountPlan{Root: p.Root, Name: p.Name, Target: p.Target, Work: p.Work}); err != nil {
		return fmt.Errorf("test mount: %w", err)
	}
	return nil
}

package doctor

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/left4me/left4me/internal/overlay"
)

func TestCheckKernelAsRoot(t *testing.T) {
	unsupported := errors.New("fsconfig lowerdir+: invalid argument")
	for _, tc := range []struct {
		name    string
		release string
		errs    map[overlay.Technique]error
		want    Status
		words   []string
	}{
		{"lowerdir+", "6.12.48+deb13-amd64", nil, OK, []string{"lowerdir+ (fsconfig)", "max 500 layers"}},
		{"old kernel, fallback", "6.1.0-40-amd64", map[overlay.Technique]error{overlay.TechniqueMountAPI: unsupported}, OK, []string{"no lowerdir+", "mount(2) fallback"}},
		{"new kernel refusing lowerdir+", "6.8.0", map[overlay.Technique]error{overlay.TechniqueMountAPI: unsupported}, Warn, []string{"should take lowerdir+"}},
		{"no overlay at all", "6.1.0", map[overlay.Technique]error{overlay.TechniqueMountAPI: unsupported, overlay.TechniqueLegacy: errors.New("no such device")}, Fail, []string{"no overlay could be mounted", "no such device", "modprobe overlay"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDoctor(t)
			d.Identity.EUID = 0
			writeSys(t, d, "/proc/sys/kernel/osrelease", tc.release+"\n")
			m := &fakeMounter{errs: tc.errs}
			d.Mounter = m
			expect(t, d.CheckKernel(context.Background()), "kernel-overlay", tc.want, append(tc.words, tc.release)...)
			if m.tried[0] != overlay.TechniqueMountAPI {
				t.Errorf("tried %v first, want the new mount API", m.tried)
			}
		})
	}
}

func TestCheckKernelAsServiceUserReadsVersionOnly(t *testing.T) {
	for _, tc := range []struct {
		release, filesystems string
		want                 Status
		words                []string
	}{
		{"6.12.1", "nodev\tproc\nnodev\toverlay\n", OK, []string{"lowerdir+ expected"}},
		{"6.1.0", "nodev\toverlay\n", OK, []string{"mount(2) fallback"}},
		{"6.12.1", "nodev\tproc\n", Warn, []string{"not in /proc/filesystems"}},
	} {
		d := newDoctor(t)
		if d.Identity.root() {
			d.Identity.EUID, d.Identity.Service.UID = 999, 999
		}
		writeSys(t, d, "/proc/sys/kernel/osrelease", tc.release)
		writeSys(t, d, "/proc/filesystems", tc.filesystems)
		m := &fakeMounter{}
		d.Mounter = m
		r := d.CheckKernel(context.Background())
		expect(t, r, "kernel-overlay", tc.want, tc.words...)
		if len(m.tried) != 0 || r.Unchecked == "" {
			t.Errorf("without root: mounted %v, unchecked %q; want no mount and the test mount named as unchecked", m.tried, r.Unchecked)
		}
	}
}

func TestKernelAtLeast(t *testing.T) {
	for _, tc := range []struct {
		release string
		want    bool
	}{
		{"6.8.0", true}, {"6.7.12", false}, {"6.12.48+deb13-amd64", true}, {"6.1.0-40-amd64", false},
		{"7.0", true}, {"5.19.1", false}, {"6.10rc1", true}, {"", false}, {"garbage", false},
	} {
		if got := kernelAtLeast(tc.release, 6, 8); got != tc.want {
			t.Errorf("kernelAtLeast(%q, 6, 8) = %v", tc.release, got)
		}
	}
}

// TestOverlayTestMounterReal mounts for real (root only) with both
// techniques the kernel offers, and leaves nothing behind.
func TestOverlayTestMounterReal(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting an overlay needs root")
	}
	dir := t.TempDir()
	if err := (OverlayTestMounter{}).TestMount(dir, overlay.MaxLayers, overlay.TechniqueAuto); err != nil {
		t.Fatalf("test mount of %d layers: %v", overlay.MaxLayers, err)
	}
	for _, layers := range []int{1, 2} {
		if err := (OverlayTestMounter{}).TestMount(dir, layers, overlay.TechniqueLegacy); err != nil {
			t.Fatalf("legacy test mount of %d layers: %v", layers, err)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left behind in %s: %v", dir, entries)
	}
	d := newDoctor(t)
	d.Config.SysRoot = ""
	d.Identity.EUID = 0
	d.Mounter = OverlayTestMounter{}
	r := d.CheckKernel(context.Background())
	if r.Status != OK {
		t.Errorf("the real kernel check as root: %+v", r)
	}
	t.Logf("%s: %s", r.Status, r.Found)
}

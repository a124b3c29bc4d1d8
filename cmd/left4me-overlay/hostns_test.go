package main

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

func TestHostEnvKeepsOnlyPathAndMainPID(t *testing.T) {
	unit := map[string]string{
		"LEFT4ME_ROOT":               "/var/lib/left4me",
		"LD_PRELOAD":                 "/var/lib/left4me/evil.so",
		"LD_AUDIT":                   "/var/lib/left4me/evil.so",
		"LD_LIBRARY_PATH":            "/var/lib/left4me",
		"GLIBC_TUNABLES":             "glibc.malloc.check=3",
		"GCONV_PATH":                 "/var/lib/left4me",
		"PATH":                       "/var/lib/left4me/bin",
		"LEFT4ME_OVERLAY_PRINT_ONLY": "1",
		"L4D2_LOWERDIRS":             "/etc",
		"MAINPID":                    "4242",
	}
	got := hostEnv(func(k string) string { return unit[k] })
	want := []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LEFT4ME_MAINPID=4242"}
	if !slices.Equal(got, want) {
		t.Errorf("hostEnv = %q, want %q", got, want)
	}
	if got := hostEnv(func(string) string { return "" }); !slices.Equal(got, want[:1]) {
		t.Errorf("hostEnv of an empty environment = %q, want %q", got, want[:1])
	}
}

// TestReexecFromPrivateNamespaceDropsEnvironment starts the helper in a new
// mount namespace, as systemd's "+" does, with variables an instance.env
// could carry: it must re-execute itself in PID 1's namespace without
// handing them to the dynamic loader of nsenter.
func TestReexecFromPrivateNamespaceDropsEnvironment(t *testing.T) {
	needRoot(t)
	same, err := sameMountNS("/proc/self/ns/mnt", "/proc/1/ns/mnt")
	if err != nil {
		t.Skipf("needs access to PID 1's mount namespace: %v", err)
	}
	if !same {
		t.Skip("needs to run in PID 1's mount namespace, where the re-executed helper lands")
	}
	if _, err := os.Stat(nsenterPath); err != nil {
		t.Skipf("needs %s: %v", nsenterPath, err)
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("needs unshare (util-linux)")
	}
	r := newRoot(t)
	// env hands LD_PRELOAD to the helper only (unshare and env must not see
	// it): a missing object makes ld.so complain on stderr if nsenter gets it.
	cmd := exec.Command(unshare, "--mount", "--propagation", "private", "--",
		"env", "LD_PRELOAD=/nonexistent/left4me-test-preload.so", helperBin, "umount", "srv")
	writeConfig(t, r.String())
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("helper from a private namespace: %v\n%s", err, out)
	}
	if strings.Contains(string(out), "LD_PRELOAD") || !strings.Contains(string(out), "released") {
		t.Errorf("helper from a private namespace: output %q; want the umount report and no loader complaint", out)
	}

	cmd = exec.Command(unshare, "--mount", "--propagation", "private", "--", helperBin, "mount", "srv")
	cmd.Env = []string{"LEFT4ME_OVERLAY_PRINT_ONLY=1"}
	out, err = cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "honoured only in PID 1's mount namespace") {
		t.Errorf("PRINT_ONLY from a private namespace: err %v, output %q; want a refusal", err, out)
	}
}

// TestStaticEvenWithCgo: the helper runs as root with an environment the
// service user partly controls; it must not depend on the dynamic loader
// even when built without CGO_ENABLED=0.
func TestStaticEvenWithCgo(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep == "runtime/cgo" || dep == "os/user" || dep == "net" {
			t.Errorf("left4me-overlay depends on %s, which links libc when cgo is available", dep)
		}
	}
}

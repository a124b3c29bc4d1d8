package process

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/overlay"
)

// ChildEnv marks a re-executed left4me as the namespace child; its value is
// the child's specification, which main hands to ChildMain.
const ChildEnv = "LEFT4ME_PROCESS_CHILD"

const (
	modeRun   = "run"   // mount the instance's overlay, exec its server
	modeProbe = "probe" // mount a throw-away overlay, report success
)

type childSpec struct {
	Mode string   `json:"mode"`
	Root string   `json:"root,omitempty"`
	Name string   `json:"name,omitempty"`
	Argv []string `json:"argv,omitempty"`
	Dir  string   `json:"dir,omitempty"`
}

// ChildMain runs the namespace child and never returns: it mounts the
// overlay inside the new user and mount namespace, tells the parent through
// file descriptor 3, and replaces itself with the server, which gets environ
// without ChildEnv. On failure it writes the reason to descriptor 3 and
// stderr and exits 1. A process whose environment has ChildEnv set is a
// namespace child started by a Supervisor; main must then call ChildMain
// before anything else (this package reads no environment):
//
//	if spec := os.Getenv(process.ChildEnv); spec != "" {
//		process.ChildMain(spec, os.Environ())
//	}
func ChildMain(specJSON string, environ []string) {
	sync := os.NewFile(3, "sync")
	fail := func(err error) {
		msg := "namespace child: " + err.Error()
		if sync != nil {
			sync.WriteString(msg)
		}
		fmt.Fprintln(os.Stderr, "left4me:", msg)
		os.Exit(1)
	}
	var spec childSpec
	if err := json.Unmarshal([]byte(specJSON), &spec); err != nil {
		fail(fmt.Errorf("bad %s: %w", ChildEnv, err))
	}
	environ = slices.DeleteFunc(slices.Clone(environ), func(kv string) bool { return strings.HasPrefix(kv, ChildEnv+"=") })
	// Our mounts must not propagate anywhere.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		fail(fmt.Errorf("make mounts private: %w", err))
	}
	switch spec.Mode {
	case modeProbe:
		if err := probeMount(); err != nil {
			fail(err)
		}
		sync.WriteString("ok")
		os.Exit(0)
	case modeRun:
	default:
		fail(fmt.Errorf("unknown mode %q", spec.Mode))
	}
	root, err := layout.New(spec.Root)
	if err != nil {
		fail(err)
	}
	plan, err := overlay.Load(root, spec.Name)
	if err != nil {
		fail(err)
	}
	if err := mountUserXattr(plan.Lower, plan.Upper, plan.Work, plan.Target); err != nil {
		fail(fmt.Errorf("mount %s: %w", spec.Name, err))
	}
	if err := os.Chdir(spec.Dir); err != nil {
		fail(err)
	}
	if len(spec.Argv) == 0 {
		fail(errors.New("no command"))
	}
	sync.WriteString("ok")
	sync.Close()
	err = syscall.Exec(spec.Argv[0], spec.Argv, environ)
	fmt.Fprintf(os.Stderr, "left4me: namespace child: exec %s: %v\n", spec.Argv[0], err)
	os.Exit(1)
}

// mountUserXattr mounts an overlay inside a user namespace. Overlayfs there
// needs userxattr (its metadata in user.overlay.* xattrs; trusted.* cannot
// be written). The option string of mount(2) is limited to one page, which
// is plenty for development stacks.
//
// TODO: use the overlay package's Mount once its MountOptions can ask for
// userxattr; that lifts the page limit through fsconfig lowerdir+.
func mountUserXattr(lower []string, upper, work, target string) error {
	for _, p := range append(append([]string{}, lower...), upper, work) {
		if strings.ContainsAny(p, ",:\\") {
			return fmt.Errorf("path %q contains ',', ':' or '\\', which mount(2) options cannot carry", p)
		}
	}
	data := "userxattr,lowerdir=" + strings.Join(lower, ":") + ",upperdir=" + upper + ",workdir=" + work
	if len(data)+1 > os.Getpagesize() {
		return fmt.Errorf("the overlay option string is %d bytes, over the one-page limit of mount(2) in a user namespace", len(data)+1)
	}
	if err := unix.Mount(overlay.MountSource(filepath.Base(filepath.Dir(target))), target, "overlay", unix.MS_NOSUID|unix.MS_NODEV, data); err != nil {
		return fmt.Errorf("mount overlay on %s: %w", target, err)
	}
	return nil
}

// probeMount mounts and unmounts a throw-away overlay in a temporary
// directory.
func probeMount() error {
	dir, err := os.MkdirTemp("", "left4me-probe-")
	if err != nil {
		return err
	}
	defer func() {
		os.Chmod(filepath.Join(dir, "work", "work"), 0o700)
		os.RemoveAll(dir)
	}()
	for _, d := range []string{"lower", "upper", "work", "merged"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	j := func(s string) string { return filepath.Join(dir, s) }
	if err := mountUserXattr([]string{j("lower")}, j("upper"), j("work"), j("merged")); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(j("merged"), "probe"), []byte("ok"), 0o644); err != nil {
		return fmt.Errorf("write through the overlay: %w", err)
	}
	return unix.Unmount(j("merged"), 0)
}

// namespaceCommand returns a command that re-executes this binary as the
// namespace child with spec and environment env, in a new user namespace
// (our uid and gid mapped to 0) and a new mount namespace, in its own
// process group.
func namespaceCommand(spec string, env []string) *exec.Cmd {
	cmd := exec.Command("/proc/self/exe")
	cmd.Args = []string{"left4me-namespace-child"}
	cmd.Env = append(slices.Clone(env), ChildEnv+"="+spec)
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}},
		Setpgid:     true,
	}
	return cmd
}

// CanMount reports whether this process can run instances with overlay
// mounts: as root, or as an ordinary user through unprivileged user
// namespaces (probed by mounting a throw-away overlay in one). The error is
// one line saying why not and how to fix it. It needs main to call
// ChildMain.
func CanMount() error {
	if os.Geteuid() == 0 {
		return nil
	}
	if err := probe(); err != nil {
		return fmt.Errorf("cannot mount overlays: not root, and an overlay mount in an unprivileged user namespace failed (%v); run as root, or enable user namespaces: sysctl -w kernel.unprivileged_userns_clone=1 user.max_user_namespaces=15000 (on Ubuntu also kernel.apparmor_restrict_unprivileged_userns=0)", err)
	}
	return nil
}

func probe() error {
	spec, _ := json.Marshal(childSpec{Mode: modeProbe})
	// The probe child only mounts: it needs no environment.
	cmd := namespaceCommand(string(spec), nil)
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	cmd.ExtraFiles = []*os.File{w}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		w.Close()
		return err
	}
	w.Close()
	buf := make([]byte, 4096)
	n, _ := r.Read(buf)
	werr := cmd.Wait()
	if msg := strings.TrimSpace(string(buf[:n])); msg != "ok" {
		if msg == "" {
			msg = strings.TrimSpace(stderr.String())
		}
		if msg == "" && werr != nil {
			msg = werr.Error()
		}
		return errors.New(msg)
	}
	return nil
}

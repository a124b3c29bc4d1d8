package doctor

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// sysctlFile is deploy/sysctl.d/60-left4me.conf as installed; a file of the
// same name in /etc/sysctl.d replaces it (sysctl.d(5)).
var sysctlFiles = []string{"/etc/sysctl.d/60-left4me.conf", "/usr/lib/sysctl.d/60-left4me.conf"}

// securitySysctls protect the root helper's mounts (the comment in
// deploy/sysctl.d/60-left4me.conf): a wrong value fails, others warn.
var securitySysctls = map[string]bool{"fs.protected_hardlinks": true, "fs.protected_symlinks": true}

// sysctlSetting is one "key = value" line.
type sysctlSetting struct{ key, value string }

// parseSysctl reads sysctl.d lines: comments (# ;), a leading "-" (ignore
// errors) and surrounding spaces are dropped.
func parseSysctl(text string) []sysctlSetting {
	var out []sysctlSetting
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		k, v, found := strings.Cut(line, "=")
		if !found {
			continue
		}
		k = strings.TrimPrefix(strings.TrimSpace(k), "-")
		out = append(out, sysctlSetting{key: k, value: strings.Join(strings.Fields(v), " ")})
	}
	return out
}

// CheckSysctl: the values of the installed 60-left4me.conf are in effect.
func (d *Doctor) CheckSysctl(ctx context.Context) Result {
	const name = "sysctl"
	var file, text string
	for _, f := range sysctlFiles {
		if b, err := os.ReadFile(d.sys(f)); err == nil {
			file, text = f, string(b)
			break
		}
	}
	if file == "" {
		return warn(name, "60-left4me.conf is not installed in /usr/lib/sysctl.d or /etc/sysctl.d", "make install PREFIX=/usr, then systemctl restart systemd-sysctl")
	}
	settings := parseSysctl(text)
	var wrong []string
	security := false
	for _, s := range settings {
		path := d.sys(filepath.Join("/proc/sys", strings.ReplaceAll(s.key, ".", "/")))
		b, err := os.ReadFile(path)
		have := strings.Join(strings.Fields(string(b)), " ")
		if err != nil {
			have = "unreadable (" + unwrapPath(err).Error() + ")"
		}
		if have != s.value {
			wrong = append(wrong, fmt.Sprintf("%s is %s, want %s", s.key, have, s.value))
			security = security || securitySysctls[s.key]
		}
	}
	if len(wrong) == 0 {
		return ok(name, fmt.Sprintf("all %d values of %s applied", len(settings), file))
	}
	fix := "systemctl restart systemd-sysctl (or sysctl --system); bbr needs modprobe tcp_bbr; in a container the host's values apply"
	found := fmt.Sprintf("%d of %d values of %s not applied: %s", len(wrong), len(settings), file, strings.Join(wrong, "; "))
	if security {
		return fail(name, found, fix)
	}
	return warn(name, found, fix)
}

package doctor

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// shippedSysctl is the repository's deploy/sysctl.d/60-left4me.conf.
func shippedSysctl(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "deploy", "sysctl.d", "60-left4me.conf"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// applySysctl writes every setting of text into the stand-in /proc/sys.
func applySysctl(t *testing.T, d *Doctor, text string) {
	t.Helper()
	for _, s := range parseSysctl(text) {
		writeSys(t, d, "/proc/sys/"+strings.ReplaceAll(s.key, ".", "/"), s.value+"\n")
	}
}

func TestParseSysctl(t *testing.T) {
	got := parseSysctl("# comment\n; other\n\nnet.core.rmem_max = 8388608\n-kernel.x=1\nnet.ipv4.tcp_rmem = 4096\t87380   6291456\nnonsense\n")
	want := []sysctlSetting{{"net.core.rmem_max", "8388608"}, {"kernel.x", "1"}, {"net.ipv4.tcp_rmem", "4096 87380 6291456"}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("setting %d = %v, want %v", i, got[i], want[i])
		}
	}
	if n := len(parseSysctl(shippedSysctl(t))); n < 10 {
		t.Errorf("the shipped file has %d settings, parsed wrong?", n)
	}
}

func TestCheckSysctl(t *testing.T) {
	shipped := shippedSysctl(t)
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, d *Doctor)
		want  Status
		words []string
	}{
		{"applied", func(t *testing.T, d *Doctor) { applySysctl(t, d, shipped) }, OK, []string{"values of /usr/lib/sysctl.d/60-left4me.conf applied"}},
		{"bbr missing", func(t *testing.T, d *Doctor) {
			applySysctl(t, d, shipped)
			writeSys(t, d, "/proc/sys/net/ipv4/tcp_congestion_control", "cubic\n")
		}, Warn, []string{"1 of", "net.ipv4.tcp_congestion_control is cubic, want bbr", "modprobe tcp_bbr"}},
		{"hard links unprotected", func(t *testing.T, d *Doctor) {
			applySysctl(t, d, shipped)
			writeSys(t, d, "/proc/sys/fs/protected_hardlinks", "0\n")
		}, Fail, []string{"fs.protected_hardlinks is 0, want 1"}},
		{"key unknown to the kernel", func(t *testing.T, d *Doctor) {
			applySysctl(t, d, shipped)
			os.Remove(d.sys("/proc/sys/kernel/yama/ptrace_scope"))
		}, Warn, []string{"kernel.yama.ptrace_scope is unreadable"}},
		{"etc replaces usr", func(t *testing.T, d *Doctor) {
			applySysctl(t, d, shipped)
			writeSys(t, d, "/etc/sysctl.d/60-left4me.conf", "vm.swappiness = 60\n")
			writeSys(t, d, "/proc/sys/vm/swappiness", "60\n")
		}, OK, []string{"all 1 values of /etc/sysctl.d/60-left4me.conf"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDoctor(t)
			writeSys(t, d, "/usr/lib/sysctl.d/60-left4me.conf", shipped)
			tc.setup(t, d)
			expect(t, d.CheckSysctl(context.Background()), "sysctl", tc.want, tc.words...)
		})
	}
	t.Run("not installed", func(t *testing.T) {
		d := newDoctor(t)
		expect(t, d.CheckSysctl(context.Background()), "sysctl", Warn, "not installed", "make install")
	})
}

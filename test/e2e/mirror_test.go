package e2e

import "testing"

func TestMirrorFromSources(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"one-line", "deb http://ftp.de.debian.org/debian bookworm main\n", "http://ftp.de.debian.org/debian"},
		{"one-line with options", "deb [arch=amd64 signed-by=/k.gpg] https://mirror.example/debian/ bookworm main\n", "https://mirror.example/debian"},
		{"security only", "deb http://security.debian.org/debian-security bookworm-security main\n", ""},
		{"deb-src only", "deb-src http://deb.debian.org/debian bookworm main\n", ""},
		{"third party", "deb https://packages.cloud.google.com/apt cloud-sdk main\n", ""},
		{"deb822", "Types: deb\n# comment\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\n\nTypes: deb\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\n", "http://deb.debian.org/debian"},
		{"deb822 security first", "Types: deb\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\n\nTypes: deb deb-src\nURIs: http://mirror.example/debian\nSuites: bookworm\n", "http://mirror.example/debian"},
		{"deb822 src only", "Types: deb-src\nURIs: http://deb.debian.org/debian\n", ""},
		{"commented", "# deb http://deb.debian.org/debian bookworm main\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mirrorFromSources(tt.text); got != tt.want {
				t.Errorf("mirrorFromSources() = %q, want %q", got, tt.want)
			}
		})
	}
}

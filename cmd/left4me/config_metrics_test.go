package main

import (
	"strings"
	"testing"
)

// TestMetricsSettings: no metrics by default; a token of at least 16
// characters and a host:port are taken; others stop the command naming
// the variable (never repeating the token).
func TestMetricsSettings(t *testing.T) {
	for _, c := range []struct {
		token, listen string
		want          MetricsConfig
		bad           string
	}{
		{"", "", MetricsConfig{}, ""},
		{"0123456789abcdef0123", "", MetricsConfig{Token: "0123456789abcdef0123"}, ""},
		{"", "127.0.0.1:9108", MetricsConfig{Listen: "127.0.0.1:9108"}, ""},
		{"short", "", MetricsConfig{}, "LEFT4ME_METRICS_TOKEN"},
		{"0123456789 abcdef0123", "", MetricsConfig{}, "LEFT4ME_METRICS_TOKEN"},
		{"", "9108", MetricsConfig{}, "LEFT4ME_METRICS_LISTEN"},
		{"", "localhost:", MetricsConfig{}, "LEFT4ME_METRICS_LISTEN"},
	} {
		env := map[string]string{"LEFT4ME_ROOT": t.TempDir(), "LEFT4ME_METRICS_TOKEN": c.token, "LEFT4ME_METRICS_LISTEN": c.listen}
		got, err := loadConfig(func(k string) string { return env[k] })
		if c.bad != "" {
			if err == nil || !strings.Contains(err.Error(), c.bad) {
				t.Errorf("token %q listen %q: %v; want an error naming %s", c.token, c.listen, err, c.bad)
			} else if c.token != "" && strings.Contains(err.Error(), c.token) {
				t.Errorf("the error repeats the secret token: %v", err)
			}
			continue
		}
		if err != nil || got.Metrics != c.want {
			t.Errorf("token %q listen %q: %+v, %v; want %+v", c.token, c.listen, got.Metrics, err, c.want)
		}
	}
}

package main

import (
	"strings"
	"testing"
	"time"
)

func envFunc(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadConfigDefaults(t *testing.T) {
	c, err := loadConfig(envFunc(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Root != "/var/lib/left4me" || c.DatabasePath != "/var/lib/left4me/left4me.db" ||
		c.PortMin != 27015 || c.PortMax != 27999 || c.Supervisor != "systemd" || !c.SessionCookieSecure {
		t.Errorf("defaults = %+v", c)
	}
}

func TestLoadConfig(t *testing.T) {
	c, err := loadConfig(envFunc(map[string]string{
		"LEFT4ME_ROOT":              "/srv/l4m",
		"DATABASE_URL":              "sqlite:////data/x.db",
		"LEFT4ME_PORT_RANGE_START":  "27000",
		"LEFT4ME_PORT_RANGE_END":    "27100",
		"LOG_LISTENER_ADDR":         "192.0.2.10:28000",
		"LOG_LISTENER_BIND":         "0.0.0.0:28000",
		"SESSION_COOKIE_SECURE":     "false",
		"LEFT4ME_SUPERVISOR":        "process",
		"LEFT4ME_JOURNAL_NAMESPACE": "left4me",
		"STEAM_WEB_API_KEY":         "k",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Root != "/srv/l4m" || c.DatabasePath != "/data/x.db" || c.PortMin != 27000 || c.PortMax != 27100 ||
		c.LogListenerAddr != "192.0.2.10:28000" || c.LogListenerBind != "0.0.0.0:28000" || c.SessionCookieSecure ||
		c.Supervisor != "process" || c.JournalNamespace != "left4me" || c.SteamWebAPIKey != "k" {
		t.Errorf("config = %+v", c)
	}
	for in, want := range map[string]string{
		"sqlite:///var/db/a.db": "/var/db/a.db",
		"/abs/b.db":             "/abs/b.db",
		"rel.db":                "/srv/l4m/rel.db",
	} {
		c, err := loadConfig(envFunc(map[string]string{"LEFT4ME_ROOT": "/srv/l4m", "DATABASE_URL": in}))
		if err != nil || c.DatabasePath != want {
			t.Errorf("DATABASE_URL %q → %q, %v; want %q", in, c.DatabasePath, err, want)
		}
	}
}

func TestLoadConfigErrorsNameTheVariable(t *testing.T) {
	tests := map[string]map[string]string{
		"LEFT4ME_ROOT":              {"LEFT4ME_ROOT": "relative"},
		"DATABASE_URL":              {"DATABASE_URL": "postgres://x/y"},
		"LEFT4ME_PORT_RANGE_START":  {"LEFT4ME_PORT_RANGE_START": "abc"},
		"LEFT4ME_PORT_RANGE_END":    {"LEFT4ME_PORT_RANGE_END": "70000"},
		"LEFT4ME_PORT_RANGE_START ": {"LEFT4ME_PORT_RANGE_START": "28000", "LEFT4ME_PORT_RANGE_END": "27000"},
		"LOG_LISTENER_ADDR":         {"LOG_LISTENER_ADDR": "127.0.0.1:28000"},
		"LOG_LISTENER_ADDR ":        {"LOG_LISTENER_ADDR": "nohost"},
		"LOG_LISTENER_BIND":         {"LOG_LISTENER_BIND": "28000"},
		"SESSION_COOKIE_SECURE":     {"SESSION_COOKIE_SECURE": "maybe"},
		"LEFT4ME_SUPERVISOR":        {"LEFT4ME_SUPERVISOR": "docker"},
		"LEFT4ME_GC_AT":             {"LEFT4ME_GC_AT": "25:00"},
	}
	for name, env := range tests {
		_, err := loadConfig(envFunc(env))
		if err == nil || !strings.Contains(err.Error(), strings.TrimSpace(name)) {
			t.Errorf("%s: err = %v, want one naming the variable", name, err)
		}
	}
}

func TestGCSchedule(t *testing.T) {
	kinds := func(c Config) []string {
		var k []string
		for _, p := range c.Jobs.Periodic {
			k = append(k, p.Kind)
		}
		return k
	}
	c, err := loadConfig(envFunc(nil))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(kinds(c), ","); got != "workshop_refresh,content_gc" {
		t.Errorf("default periodic jobs = %s, want workshop_refresh,content_gc", got)
	}
	c, err = loadConfig(envFunc(map[string]string{"LEFT4ME_GC_AT": "off", "WORKSHOP_REFRESH_AT": "off"}))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Jobs.Periodic) != 0 {
		t.Errorf("periodic jobs with both off = %v", kinds(c))
	}
}

func TestQueryHostSetting(t *testing.T) {
	for _, tt := range []struct {
		value   string
		wantErr bool
	}{
		{"", false},
		{"192.0.2.5", false},
		{"127.0.0.1", true},
		{"0.0.0.0", true},
		{"example.org", true},
	} {
		env := map[string]string{"LEFT4ME_ROOT": t.TempDir(), envQueryHost: tt.value}
		c, err := loadConfig(func(k string) string { return env[k] })
		if tt.wantErr {
			if err == nil || !strings.Contains(err.Error(), envQueryHost) {
				t.Errorf("%s=%q: %v, want an error naming the setting", envQueryHost, tt.value, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s=%q: %v", envQueryHost, tt.value, err)
			continue
		}
		if tt.value != "" && c.queryHost().String() != tt.value {
			t.Errorf("%s=%q: queryHost %s", envQueryHost, tt.value, c.queryHost())
		}
	}
	// Without a setting or a primary address, the log listener's address
	// (also non-loopback) serves.
	c := Config{QueryHost: "", LogListenerAddr: "10.77.0.1:28000"}
	if a := c.queryHost(); a.IsLoopback() {
		t.Errorf("queryHost fell back to %s", a)
	}
}

func TestOfflineAfterSetting(t *testing.T) {
	for v, want := range map[string]time.Duration{"": 0, "45s": 45 * time.Second, "2m": 2 * time.Minute, "0": -1, "x": -1, "2h": -1} {
		env := map[string]string{"LEFT4ME_ROOT": t.TempDir(), "LEFT4ME_OFFLINE_AFTER": v}
		c, err := loadConfig(func(k string) string { return env[k] })
		if want < 0 {
			if err == nil || !strings.Contains(err.Error(), "LEFT4ME_OFFLINE_AFTER") {
				t.Errorf("LEFT4ME_OFFLINE_AFTER=%q: %v, want an error naming it", v, err)
			}
			continue
		}
		if err != nil || c.OfflineSpan != want {
			t.Errorf("LEFT4ME_OFFLINE_AFTER=%q: %v, %v; want %v", v, c.OfflineSpan, err, want)
		}
	}
}

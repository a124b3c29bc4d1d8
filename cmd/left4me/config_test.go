package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/jobs"
	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/workshop"
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
		"LEFT4ME_RCON_SECRETS":      "sm_admin_pw, Mani_Password",
		"LEFT4ME_CANARY_WINDOW":     "90s",
		"LEFT4ME_CANARY_PATTERNS":   "Signature broken | L4D2 Plugin failed|",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.RCONPolicy.Check("sm_admin_pw", false); err == nil {
		t.Error("LEFT4ME_RCON_SECRETS: sm_admin_pw is not secret")
	}
	if err := c.RCONPolicy.Check("echo a; mani_password", false); err == nil {
		t.Error("LEFT4ME_RCON_SECRETS: mani_password is not secret")
	}
	if c.Root != "/srv/l4m" || c.DatabasePath != "/data/x.db" || c.PortMin != 27000 || c.PortMax != 27100 ||
		c.LogListenerAddr != "192.0.2.10:28000" || c.LogListenerBind != "0.0.0.0:28000" || c.SessionCookieSecure ||
		c.Supervisor != "process" || c.JournalNamespace != "left4me" || c.SteamWebAPIKey != "k" ||
		c.CanaryWindow != 90*time.Second || !slices.Equal(c.CanaryPatterns, []string{"Signature broken", "L4D2 Plugin failed"}) {
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
		"JOB_WORKER_THREADS":        {"JOB_WORKER_THREADS": "0"},
		"JOB_WORKER_THREADS ":       {"JOB_WORKER_THREADS": "many"},
		"WORKSHOP_REFRESH_AT":       {"WORKSHOP_REFRESH_AT": "25:00"},
		"LEFT4ME_BUILD_SANDBOX":     {"LEFT4ME_BUILD_SANDBOX": "docker"},
		"LEFT4ME_GENERATION_GRACE":  {"LEFT4ME_GENERATION_GRACE": "a while"},
		"LEFT4ME_GENERATION_GRACE ": {"LEFT4ME_GENERATION_GRACE": "-1h"},
		"STEAM_API_BASE":            {"STEAM_API_BASE": "ftp://example.org"},
		"LEFT4ME_LOG_FILES":         {"LEFT4ME_LOG_FILES": "0"},
		"LEFT4ME_RCON_SECRETS":      {"LEFT4ME_RCON_SECRETS": "sm_pw, x;y"},
		"LEFT4ME_CANARY_WINDOW":     {"LEFT4ME_CANARY_WINDOW": "soon"},
		"LEFT4ME_CANARY_WINDOW ":    {"LEFT4ME_CANARY_WINDOW": "2h"},
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

func TestWatchdogGraceSetting(t *testing.T) {
	for v, want := range map[string]time.Duration{"": 0, "60s": time.Minute, "15s": 15 * time.Second, "5s": -1, "maybe": -1, "2h": -1} {
		env := map[string]string{"LEFT4ME_ROOT": t.TempDir(), "LEFT4ME_WATCHDOG_GRACE": v}
		c, err := loadConfig(func(k string) string { return env[k] })
		if want < 0 {
			if err == nil || !strings.Contains(err.Error(), "LEFT4ME_WATCHDOG_GRACE") {
				t.Errorf("LEFT4ME_WATCHDOG_GRACE=%q: %v, want an error naming it", v, err)
			}
			continue
		}
		if err != nil || c.WatchdogGrace != want {
			t.Errorf("LEFT4ME_WATCHDOG_GRACE=%q: %v, %v; want %v", v, c.WatchdogGrace, err, want)
		}
	}
}

// The daily jobs' schedules and the worker count come from the command's
// configuration (the jobs package reads no environment and knows no kind).
func TestJobsConfig(t *testing.T) {
	tests := []struct {
		env     map[string]string
		workers int
		refresh string // "" when disabled
	}{
		{env: nil, refresh: "04:00"},
		{env: map[string]string{"JOB_WORKER_THREADS": "8", "WORKSHOP_REFRESH_AT": "05:30"}, workers: 8, refresh: "05:30"},
		{env: map[string]string{"WORKSHOP_REFRESH_AT": "off"}},
	}
	for _, tc := range tests {
		c, err := loadConfig(envFunc(tc.env))
		if err != nil {
			t.Errorf("%v: %v", tc.env, err)
			continue
		}
		if c.Jobs.Workers != tc.workers {
			t.Errorf("%v: workers %d, want %d", tc.env, c.Jobs.Workers, tc.workers)
		}
		got := ""
		for _, p := range c.Jobs.Periodic {
			if p.Kind == workshop.KindRefresh {
				got = p.Schedule.(*jobs.DailyAt).String()
			}
		}
		if got != tc.refresh {
			t.Errorf("%v: refresh %q, want %q", tc.env, got, tc.refresh)
		}
	}
}

// Every setting the commands use is in Config; empty ones mean the
// defaults the README names.
func TestContentAndCommandSettings(t *testing.T) {
	c, err := loadConfig(envFunc(map[string]string{
		"LEFT4ME_LISTEN":              " 0.0.0.0:8080 ",
		"STEAMCMD":                    "/opt/other/steamcmd.sh",
		"LEFT4ME_STEAMCMD_URL":        "https://mirror.example/steamcmd.tar.gz",
		"LEFT4ME_STEAMCMD_IN_SANDBOX": "/steam/x.sh",
		"LEFT4ME_BUILD_SANDBOX":       "none",
		"LEFT4ME_GENERATION_GRACE":    "2h",
		"STEAM_API_BASE":              "http://127.0.0.1:9999",
		"LEFT4ME_ADMIN_PASSWORD":      "pass word",
		"PATH":                        "/x/bin:/usr/bin",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := ContentConfig{SteamCmd: "/opt/other/steamcmd.sh", SteamCmdURL: "https://mirror.example/steamcmd.tar.gz",
		SteamCmdInSandbox: "/steam/x.sh", BuildSandbox: "none", GenerationGrace: 2 * time.Hour,
		SteamAPIBase: "http://127.0.0.1:9999", Path: "/x/bin:/usr/bin"}
	if c.Content != want {
		t.Errorf("content = %+v, want %+v", c.Content, want)
	}
	if c.listen() != "0.0.0.0:8080" || c.AdminPassword != "pass word" || c.useSystemdSandbox() {
		t.Errorf("listen %q, admin password %q, systemd sandbox %v", c.listen(), c.AdminPassword, c.useSystemdSandbox())
	}
	// LEFT4ME_STEAMCMD wins over STEAMCMD.
	c, err = loadConfig(envFunc(map[string]string{"LEFT4ME_STEAMCMD": "/a.sh", "STEAMCMD": "/b.sh"}))
	if err != nil || c.Content.SteamCmd != "/a.sh" {
		t.Errorf("LEFT4ME_STEAMCMD and STEAMCMD: %q, %v", c.Content.SteamCmd, err)
	}
	// Defaults.
	c, err = loadConfig(envFunc(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.listen() != DefaultListen || c.Content.steamAPIBase() != workshop.DefaultAPIBase || !c.useSystemdSandbox() {
		t.Errorf("defaults: listen %q, API %q, systemd sandbox %v", c.listen(), c.Content.steamAPIBase(), c.useSystemdSandbox())
	}
	c.Supervisor = supervisorProcess
	if c.useSystemdSandbox() {
		t.Error("the process supervisor builds in the systemd sandbox by default")
	}
	// The command's whole environment rides along for the processes that
	// inherit it.
	env := &cliEnv{getenv: envFunc(nil), environ: func() []string { return []string{"A=1"} }}
	if c, err := env.config(); err != nil || len(c.Environ) != 1 || c.Environ[0] != "A=1" {
		t.Errorf("config().Environ = %q, %v", c.Environ, err)
	}
}

// The demo honours the content settings and LEFT4ME_FAKESRCDS and ignores
// the panel's own: a bad LEFT4ME_ROOT does not stop it.
func TestDemoConfig(t *testing.T) {
	root, err := layout.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	env := &cliEnv{getenv: envFunc(map[string]string{"LEFT4ME_ROOT": "relative", "LEFT4ME_FAKESRCDS": "/bin/fake",
		"LEFT4ME_GENERATION_GRACE": "1h"})}
	c, bin, err := demoConfig(env, root)
	if err != nil {
		t.Fatal(err)
	}
	if c.Root != root || c.Supervisor != supervisorProcess || bin != "/bin/fake" || c.Content.GenerationGrace != time.Hour || len(c.Jobs.Periodic) != 0 ||
		c.PortMin != 27015 || c.PortMax != 27999 {
		t.Errorf("demo config = %+v, fakesrcds %q", c, bin)
	}
	env.getenv = envFunc(map[string]string{"LEFT4ME_PORT_RANGE_START": "26400", "LEFT4ME_PORT_RANGE_END": "26499"})
	if c, _, err := demoConfig(env, root); err != nil || c.PortMin != 26400 || c.PortMax != 26499 {
		t.Errorf("the demo's port range from the environment: %d-%d, %v", c.PortMin, c.PortMax, err)
	}
	env.getenv = envFunc(map[string]string{"LEFT4ME_PORT_RANGE_START": "26500", "LEFT4ME_PORT_RANGE_END": "26499"})
	if _, _, err := demoConfig(env, root); err == nil || !strings.Contains(err.Error(), "LEFT4ME_PORT_RANGE_START") {
		t.Errorf("an upside-down port range in the demo: %v", err)
	}
	env.getenv = envFunc(map[string]string{"STEAM_API_BASE": "nope"})
	if _, _, err := demoConfig(env, root); err == nil || !strings.Contains(err.Error(), "STEAM_API_BASE") {
		t.Errorf("bad STEAM_API_BASE in the demo: %v", err)
	}
}

// LEFT4ME_TRUSTED_PROXIES: loopback by default, "none", addresses and
// prefixes; anything else is an error naming the variable.
func TestTrustedProxiesSetting(t *testing.T) {
	for v, want := range map[string]string{
		"":                           "127.0.0.0/8 ::1/128",
		"none":                       "",
		"10.0.0.7":                   "10.0.0.7/32",
		"10.0.0.9/24, 2001:db8::/32": "10.0.0.0/24 2001:db8::/32",
		"proxy.example":              "error",
		"10.0.0.0/33":                "error",
	} {
		c, err := loadConfig(envFunc(map[string]string{"LEFT4ME_TRUSTED_PROXIES": v}))
		if want == "error" {
			if err == nil || !strings.Contains(err.Error(), "LEFT4ME_TRUSTED_PROXIES") {
				t.Errorf("LEFT4ME_TRUSTED_PROXIES=%q: %v, want an error naming it", v, err)
			}
			continue
		}
		var got []string
		for _, p := range c.TrustedProxies {
			got = append(got, p.String())
		}
		if err != nil || strings.Join(got, " ") != want {
			t.Errorf("LEFT4ME_TRUSTED_PROXIES=%q: %q, %v; want %q", v, got, err, want)
		}
	}
}

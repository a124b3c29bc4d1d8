package fakesrcds

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var (
	logFileNameRE = regexp.MustCompile(`^L\d{4}\d{3}\.log$`)
	logFileLineRE = regexp.MustCompile(`^L \d\d/\d\d/\d{4} - \d\d:\d\d:\d\d: \S`)
)

// logFiles returns the names under <game>/logs/, sorted, and checks that
// each is named and formatted as the engine's.
func logFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, "left4dead2", "logs"))
	if err != nil {
		t.Fatalf("read logs directory: %v", err)
	}
	var names []string
	for _, e := range entries {
		if !logFileNameRE.MatchString(e.Name()) {
			t.Errorf("log file %q is not named LMMDDNNN.log", e.Name())
		}
		for _, line := range strings.Split(strings.TrimSuffix(readLog(t, dir, e.Name()), "\n"), "\n") {
			if !logFileLineRE.MatchString(line) {
				t.Errorf("%s: line %q is not \"L MM/DD/YYYY - HH:MM:SS: text\"", e.Name(), line)
			}
		}
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names
}

func readLog(t *testing.T, dir, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "left4dead2", "logs", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestLogOnStartsANewFileEachTime(t *testing.T) {
	dir := install(t, nil)
	s := start(t, dir, nil)
	if _, err := os.Stat(filepath.Join(dir, "left4dead2", "logs")); err == nil {
		t.Fatal("a logs directory exists before log on")
	}
	s.Exec("log on")
	s.Exec("say first")
	s.Exec("log on")
	s.Exec("say second")
	names := logFiles(t, dir)
	if len(names) != 2 {
		t.Fatalf("after two log on: files %v, want 2", names)
	}
	// The counter is the first free one of the day (000, then 001).
	if names[0][:5] == names[1][:5] && (names[0][5:] != "000.log" || names[1][5:] != "001.log") {
		t.Errorf("files %v, want LMMDD000.log and LMMDD001.log", names)
	}
	first, second := readLog(t, dir, names[0]), readLog(t, dir, names[1])
	for _, want := range []string{`Log file started (file "logs/` + names[0] + `")`, `"Console<0><Console><Console>" say "first"`, "Log file closed"} {
		if !strings.Contains(first, want) {
			t.Errorf("%s lacks %q:\n%s", names[0], want, first)
		}
	}
	if strings.Contains(first, "second") || !strings.Contains(second, `say "second"`) || !strings.Contains(second, `(file "logs/`+names[1]+`")`) {
		t.Errorf("second log on did not move logging to %s:\n%s\n--\n%s", names[1], first, second)
	}
	s.Exec("log off")
	s.Exec("say third")
	if got := logFiles(t, dir); len(got) != 2 || strings.Contains(readLog(t, dir, names[1]), "third") {
		t.Errorf("log off still logs: files %v", got)
	}
}

func TestMapChangeStartsANewLogFile(t *testing.T) {
	for _, tc := range []struct {
		name    string
		onefile string
		want    int
	}{
		{"default", "0", 2},
		{"sv_log_onefile 1", "1", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := install(t, nil)
			s := start(t, dir, nil, "-fakemapload", "0") // the map loads at once
			s.Exec("sv_log_onefile " + tc.onefile)
			s.Exec("log on")
			s.Exec("changelevel c2m1_highway")
			names := logFiles(t, dir)
			if len(names) != tc.want {
				t.Fatalf("files after log on and a map change: %v, want %d", names, tc.want)
			}
			if last := readLog(t, dir, names[len(names)-1]); !strings.Contains(last, `Started map "c2m1_highway"`) {
				t.Errorf("%s lacks the new map:\n%s", names[len(names)-1], last)
			}
		})
	}
}

func TestLogEchoToConsole(t *testing.T) {
	var out Console
	dir := install(t, nil)
	s := start(t, dir, &out)
	s.Exec("log on")
	s.Exec("say echoed")
	s.Exec("sv_logecho 0")
	s.Exec("say quiet")
	console := out.String()
	echoed := regexp.MustCompile(`(?m)^L \d\d/\d\d/\d{4} - \d\d:\d\d:\d\d: "Console<0><Console><Console>" say "echoed"$`)
	if !echoed.MatchString(console) {
		t.Errorf("with sv_logecho 1 the console lacks the log line:\n%s", console)
	}
	if strings.Contains(console, `say "quiet"`) {
		t.Errorf("with sv_logecho 0 the console still shows log lines:\n%s", console)
	}
	names := logFiles(t, dir)
	if len(names) != 1 || !strings.Contains(readLog(t, dir, names[0]), `say "quiet"`) {
		t.Errorf("with sv_logecho 0 the log file lacks the line: %v", names)
	}
}

func TestRCONCommandsAreLogged(t *testing.T) {
	var out Console
	dir := install(t, map[string]string{"server.cfg": "rcon_password pw\nlog on\n"})
	s := start(t, dir, &out)
	r := dialRaw(t, s)
	r.send(1, rconAuth, "pw")
	r.expect(1, rconResponseValue, "")
	r.expect(1, rconAuthResponse, "")
	r.send(2, rconExecCommand, "status")
	r.expect(2, rconResponseValue, "*")
	want := regexp.MustCompile(`(?m)^L \d\d/\d\d/\d{4} - \d\d:\d\d:\d\d: rcon from "` + regexp.QuoteMeta(r.c.LocalAddr().String()) + `": command "status"$`)
	names := logFiles(t, dir)
	if len(names) != 1 || !want.MatchString(readLog(t, dir, names[0])) {
		t.Errorf("log files %v lack the RCON command", names)
	}
	if !want.MatchString(out.String()) {
		t.Errorf("console lacks the logged RCON command:\n%s", out.String())
	}
}

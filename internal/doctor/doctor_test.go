package doctor

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

func TestWriteTextOneLinePerCheck(t *testing.T) {
	rs := []Result{
		ok("a", "fine"),
		warn("b", "so-so\nsecond line", "do this"),
		{Name: "c", Status: Fail, Found: "broken", Fix: "fix it", Unchecked: "the mount"},
	}
	var b bytes.Buffer
	if err := WriteText(&b, "left4me", rs); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3:\n%s", len(lines), b.String())
	}
	for i, want := range []string{"ok", "warn", "fail"} {
		if f := strings.Fields(lines[i]); f[0] != want || f[1] != rs[i].Name {
			t.Errorf("line %d = %q, want status %s and name %s first", i, lines[i], want, rs[i].Name)
		}
	}
	if strings.Contains(lines[0], "fix") {
		t.Errorf("an ok line shows a fix: %q", lines[0])
	}
	if !strings.Contains(lines[1], "so-so second line — fix: do this") {
		t.Errorf("warn line = %q", lines[1])
	}
	if !strings.Contains(lines[2], "(not checked as left4me: the mount)") {
		t.Errorf("fail line = %q", lines[2])
	}
}

func TestWriteJSON(t *testing.T) {
	for _, tc := range []struct {
		rs     []Result
		failed bool
	}{
		{[]Result{ok("a", "x"), warn("b", "y", "z")}, false},
		{[]Result{ok("a", "x"), fail("b", "y", "z")}, true},
		{nil, false},
	} {
		var b bytes.Buffer
		if err := WriteJSON(&b, "root", tc.rs); err != nil {
			t.Fatal(err)
		}
		var rep Report
		if err := json.Unmarshal(b.Bytes(), &rep); err != nil {
			t.Fatalf("%v\n%s", err, b.String())
		}
		if rep.User != "root" || rep.Failed != tc.failed || len(rep.Checks) != len(tc.rs) || rep.Checks == nil {
			t.Errorf("report = %+v, want %d checks, failed %v", rep, len(tc.rs), tc.failed)
		}
		if Failed(tc.rs) != tc.failed {
			t.Errorf("Failed(%v) = %v", tc.rs, !tc.failed)
		}
	}
}

func TestRunMakesEveryCheckInOrder(t *testing.T) {
	d := newDoctor(t)
	rs := d.Run(context.Background())
	if len(rs) != len(CheckNames) {
		t.Fatalf("%d results, want %d", len(rs), len(CheckNames))
	}
	for i, r := range rs {
		if r.Name != CheckNames[i] {
			t.Errorf("result %d is %q, want %q", i, r.Name, CheckNames[i])
		}
		if r.Status == "" || r.Found == "" {
			t.Errorf("%s: empty status or finding: %+v", r.Name, r)
		}
	}
}

func TestIdentity(t *testing.T) {
	svc := Account{Name: ServiceUser, UID: 999}
	for _, tc := range []struct {
		id            Identity
		root, service bool
		who           string
	}{
		{Identity{EUID: 0, Service: svc}, true, false, "root"},
		{Identity{EUID: 999, Service: svc}, false, true, ServiceUser},
		{Identity{EUID: 1000, Service: svc}, false, false, "uid 1000"},
	} {
		if tc.id.root() != tc.root || tc.id.service() != tc.service || tc.id.who() != tc.who {
			t.Errorf("%+v: root %v service %v who %q", tc.id, tc.id.root(), tc.id.service(), tc.id.who())
		}
	}
}

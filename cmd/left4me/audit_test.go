package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/left4me/left4me/internal/views"
)

// TestEveryVerbIsAuditedOrReadOnly: the list of verbs the audit log skips
// names only verbs of the table, so that every other verb, new ones
// included, is recorded.
func TestEveryVerbIsAuditedOrReadOnly(t *testing.T) {
	paths := map[string]bool{}
	commandTable().walk(func(c *Command) {
		if len(c.Commands) == 0 {
			paths[c.Path()] = true
		}
	})
	for p := range unaudited {
		if !paths[p] {
			t.Errorf("unaudited names %q, which is not a verb", p)
		}
	}
}

// auditOf runs left4me audit --json.
func (f *cliFixture) auditOf(t *testing.T, args ...string) []views.AuditEntry {
	t.Helper()
	var es []views.AuditEntry
	if err := json.Unmarshal([]byte(f.must(t, "", append([]string{"audit", "--json"}, args...)...)), &es); err != nil {
		t.Fatal(err)
	}
	return es
}

// TestCLIActionsAreAudited: verbs that change state write one entry each,
// as cli:UNIXUSER, with the result; reading verbs and bad usage write
// none; no secret reaches an entry.
func TestCLIActionsAreAudited(t *testing.T) {
	f := newCLIFixture(t)
	f.env["LEFT4ME_WEBHOOK_ALLOW_LOOPBACK"] = "1"
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer recv.Close()
	f.must(t, "Account-pass-42\n", "user", "create", "alice", "--admin")
	f.must(t, "", "user", "list")
	f.must(t, "", "webhook", "add", recv.URL+"/hooks/SECRETPATH", "--events", "instance.crashed,job.failed")
	f.must(t, "", "webhook", "list")
	if code, _, _ := f.run(t, "", "webhook", "add"); code != 2 {
		t.Fatalf("webhook add without URL: exit %d, want 2", code)
	}
	if code, _, errOut := f.run(t, "", "webhook", "add", "http://10.0.0.7/x"); code != 1 || !strings.Contains(errOut, "url:") {
		t.Fatalf("webhook add to a private address: exit %d, want 1 naming url:\n%s", code, errOut)
	}
	f.must(t, "", "webhook", "test", "1")
	f.must(t, "", "instance", "create", "vs1", "--owner", "alice")
	f.must(t, "", "instance", "cfg", "vs1")
	f.must(t, "rcon_password \"cfg-secret-1\"\n", "instance", "cfg", "vs1", "--set", "-")

	es := f.auditOf(t)
	var got []string
	for i := len(es) - 1; i >= 0; i-- {
		e := es[i]
		if !strings.HasPrefix(e.Actor, "cli:") {
			t.Errorf("entry %+v: actor is not cli:USER", e)
		}
		got = append(got, e.Action+" "+e.Target+" "+e.Result)
	}
	want := []string{
		"users.create alice ok",
		"webhooks.create http://127.0.0.1:" + strings.Split(recv.URL, ":")[2] + "/… ok",
		"webhooks.create http://10.0.0.7/… url: invalid webhook: 10.0.0.7 is not a public address",
		"webhooks.test 1 ok",
		"instances.create instance:vs1 ok",
		"instances.cfg.set instance:vs1 ok",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	all, _ := json.Marshal(es)
	for _, secret := range []string{"Account-pass-42", "SECRETPATH", "cfg-secret-1"} {
		if strings.Contains(string(all), secret) {
			t.Errorf("an entry holds %q:\n%s", secret, all)
		}
	}
	// The owner's filter finds the instance's entries.
	if n := len(f.auditOf(t, "--instance", "vs1")); n != 2 {
		t.Errorf("%d entries of vs1, want 2", n)
	}
}

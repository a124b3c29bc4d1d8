package web

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestCreateValidation submits bad create forms and bad API bodies: each
// gets its error next to the right field and nothing is created.
func TestCreateValidation(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u := e.creator("alice")
	existing := e.mustCreate("taken", u)
	// A port bound by some other program on the host.
	var ln net.PacketConn
	for port := 20900; port < 21000 && ln == nil; port++ {
		ln, _ = net.ListenPacket("udp", "0.0.0.0:"+strconv.Itoa(port))
	}
	if ln == nil {
		t.Fatal("no free UDP port in 20900-20999 to occupy")
	}
	defer ln.Close()
	c := e.as(u)
	cases := []struct {
		name   string
		form   url.Values
		field  string
		status int
	}{
		{"bad name", url.Values{"name": {"Bad Name!"}}, "name", http.StatusUnprocessableEntity},
		{"empty name", url.Values{"name": {""}}, "name", http.StatusUnprocessableEntity},
		{"duplicate name", url.Values{"name": {"taken"}}, "name", http.StatusConflict},
		{"port of another instance", url.Values{"name": {"fresh"}, "port": {strconv.Itoa(existing.Port)}}, "port", http.StatusConflict},
		{"port bound on the host", url.Values{"name": {"fresh"}, "port": {strconv.Itoa(ln.LocalAddr().(*net.UDPAddr).Port)}}, "port", http.StatusConflict},
		{"port not a number", url.Values{"name": {"fresh"}, "port": {"27O15"}}, "port", http.StatusUnprocessableEntity},
		{"port out of range", url.Values{"name": {"fresh"}, "port": {"80"}}, "port", http.StatusUnprocessableEntity},
		{"port outside the instance range", url.Values{"name": {"fresh"}, "port": {"50000"}}, "port", http.StatusUnprocessableEntity},
		{"missing layer", url.Values{"name": {"fresh"}, "layers": {"example", "nope"}}, "layers", http.StatusUnprocessableEntity},
	}
	for _, tc := range cases {
		t.Run("form/"+tc.name, func(t *testing.T) {
			resp, body := c.post("/instances", tc.form)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d:\n%s", resp.StatusCode, tc.status, body)
			}
			if !strings.Contains(body, `class="field-error"`) || !fieldHasError(body, tc.field) {
				t.Errorf("no error shown next to %q:\n%s", tc.field, body)
			}
		})
		t.Run("api/"+tc.name, func(t *testing.T) {
			req := map[string]any{"name": tc.form.Get("name"), "layers": tc.form["layers"]}
			if p := tc.form.Get("port"); p != "" {
				n, err := strconv.Atoi(p)
				if err != nil {
					return // not expressible as a JSON number
				}
				req["port"] = n
			}
			b, _ := json.Marshal(req)
			resp, body := c.do("POST", "/api/v1/instances", string(b), nil)
			var ae apiError
			json.Unmarshal([]byte(body), &ae)
			if resp.StatusCode != tc.status || ae.Field != tc.field || ae.Error == "" {
				t.Errorf("API: %d %s, want %d with field %q", resp.StatusCode, body, tc.status, tc.field)
			}
		})
	}
	list, _ := e.svc.List(ctx)
	if len(list) != 1 {
		t.Errorf("%d instances after refused creates, want 1", len(list))
	}
	for _, name := range []string{"fresh", "Bad Name!"} {
		if _, err := os.Stat(e.root.Instance(name)); !os.IsNotExist(err) {
			t.Errorf("files of refused instance %q exist: %v", name, err)
		}
		if _, err := os.Stat(e.root.Runtime(name)); !os.IsNotExist(err) {
			t.Errorf("runtime of refused instance %q exists: %v", name, err)
		}
	}
	// A good form creates the instance with its layers in order.
	resp, body := c.post("/instances", url.Values{"name": {"fresh"}, "layers": {"maps", "example"}, "args": {"+map c2m1_highway"}, "server_cfg": {"hostname x"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("good create = %d:\n%s", resp.StatusCode, body)
	}
	in, err := e.svc.Get(ctx, "fresh")
	if err != nil || strings.Join(in.Layers, ",") != "maps,example" || strings.Join(in.Args, " ") != "+map c2m1_highway" {
		t.Fatalf("created %+v, %v", in, err)
	}
}

// fieldHasError reports whether the form shows an error for field.
func fieldHasError(body, field string) bool {
	switch field {
	case "name", "port":
		return strings.Contains(body, `id="`+field+`-error"`)
	case "layers":
		i := strings.Index(body, "<legend>Content layers</legend>")
		return i >= 0 && strings.Contains(body[i:], `class="field-error"`)
	}
	return false
}

func TestUpdateAndCfgValidation(t *testing.T) {
	e := newEnv(t)
	u := e.creator("alice")
	e.mustCreate("alpha", u)
	other := e.mustCreate("beta", u)
	c := e.as(u)
	resp, body := c.post("/instances/alpha/edit", url.Values{"port": {strconv.Itoa(other.Port)}})
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, `id="port-error"`) {
		t.Errorf("edit to a taken port = %d", resp.StatusCode)
	}
	resp, body = c.do("PATCH", "/api/v1/instances/alpha", `{"layers": ["nope"]}`, nil)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `"field": "layers"`) {
		t.Errorf("PATCH with a missing layer = %d %s", resp.StatusCode, body)
	}
	resp, body = c.do("PUT", "/api/v1/instances/alpha/cfg", `{"server_cfg": "hostname new\n"}`, nil)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("PUT cfg = %d %s", resp.StatusCode, body)
	}
	if _, body := c.get("/api/v1/instances/alpha/cfg"); !strings.Contains(body, "hostname new") {
		t.Errorf("GET cfg = %s", body)
	}
	resp, _ = c.post("/instances/alpha/delete", url.Values{"confirm": {"wrong"}})
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("delete with the wrong name typed = %d, want 422", resp.StatusCode)
	}
	resp, _ = c.post("/instances/alpha/delete", url.Values{"confirm": {"alpha"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("confirmed delete = %d", resp.StatusCode)
	}
	if resp, _ := c.get("/instances/alpha"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("deleted instance still answers %d", resp.StatusCode)
	}
}

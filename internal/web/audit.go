package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/left4me/left4me/internal/audit"
	"github.com/left4me/left4me/internal/store"
)

// auditBodyMax bounds the JSON body kept for an audit summary.
const auditBodyMax = 64 << 10

// auditCall is one state-changing request on its way through wrap: what
// the audit entry is built from once the handler has answered.
type auditCall struct {
	rt     route
	status *statusRecorder
	body   *bytes.Buffer // a JSON request body as the handler read it
	req    *http.Request // the request the handler got (its parsed form)
	p      *principal
}

// auditStart prepares the audit entry of a state-changing request (every
// route whose method is not GET, HEAD or OPTIONS: new routes are covered
// without a line of their own). It returns the writer and request to go on
// with, and the call to finish once the handler returned; nil when the
// panel keeps no audit log.
func (s *Server) auditStart(w http.ResponseWriter, r *http.Request, rt route) (http.ResponseWriter, *http.Request, *auditCall) {
	if s.cfg.Audit == nil || !stateChanging(r.Method) {
		return w, r, nil
	}
	ac := &auditCall{rt: rt, status: &statusRecorder{ResponseWriter: w, status: http.StatusOK}, req: r}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "application/json" || ct == "" && rt.api {
		ac.body = &bytes.Buffer{}
		r.Body = teeBody{ReadCloser: r.Body, copy: ac.body}
	}
	return ac.status, r, ac
}

type teeBody struct {
	io.ReadCloser
	copy *bytes.Buffer
}

func (t teeBody) Read(p []byte) (int, error) {
	n, err := t.ReadCloser.Read(p)
	if room := auditBodyMax - t.copy.Len(); room > 0 {
		t.copy.Write(p[:min(n, room)])
	}
	return n, err
}

// finish writes the entry. A request refused for want of credentials is
// not recorded (anyone could fill the log so); a login is, with the name
// tried.
func (s *Server) auditFinish(ac *auditCall) {
	if ac == nil {
		return
	}
	r := ac.req
	e := store.AuditEntry{Action: auditAction(ac.rt.pattern), Address: s.clientIP(r)}
	switch {
	case ac.p != nil:
		e.Actor, e.UserID, e.TokenID = ac.p.User.Name, ac.p.User.ID, ac.p.TokenID
	case ac.rt.access == public:
		e.Actor = "anonymous"
		if name := strings.TrimSpace(r.PostFormValue("username")); name != "" {
			e.Actor = "anonymous (as " + name + ")"
		}
	default:
		return
	}
	fields := s.auditFields(ac)
	e.Target, e.Instance = auditTarget(ac.rt.pattern, r, fields)
	e.Summary = audit.Summary(fields)
	if ac.status.status >= 400 {
		e.Result = fmt.Sprintf("refused: HTTP %d %s", ac.status.status, http.StatusText(ac.status.status))
	}
	s.cfg.Audit.Write(r.Context(), e)
}

// auditFields are the request's fields: its form, or its JSON body's
// top-level members. An RCON command is recorded as the history records
// it, without secret values.
func (s *Server) auditFields(ac *auditCall) map[string][]string {
	fields := map[string][]string{}
	r := ac.req
	if r.MultipartForm != nil {
		for k, v := range r.MultipartForm.Value {
			fields[k] = v
		}
		for k, fhs := range r.MultipartForm.File {
			for _, fh := range fhs {
				fields[k] = append(fields[k], fh.Filename)
			}
		}
	} else if len(r.PostForm) > 0 {
		for k, v := range r.PostForm {
			fields[k] = v
		}
	}
	if ac.body != nil && ac.body.Len() > 0 {
		var m map[string]json.RawMessage
		if json.Unmarshal(ac.body.Bytes(), &m) == nil {
			for k, raw := range m {
				var str string
				if json.Unmarshal(raw, &str) == nil {
					fields[k] = []string{str}
				} else {
					fields[k] = []string{string(raw)}
				}
			}
		}
	}
	// The password form's fields are named current and new: record that
	// the password changed, never either value.
	if _, ok := fields["new"]; ok && ac.rt.pattern == "POST /account/password" {
		delete(fields, "current")
		delete(fields, "new")
		fields["password"] = []string{""}
	}
	// A login changes no password: leave the field out.
	if ac.rt.pattern == "POST /login" {
		delete(fields, "password")
	}
	if cmd, ok := fields["command"]; ok && len(cmd) > 0 {
		redacted, _ := s.cfg.RCONPolicy.ForHistory(cmd[0], "")
		fields["command"] = []string{redacted}
	}
	return fields
}

// auditAction names a route's action from its pattern: the path's fixed
// words joined by dots, with the method's verb where the path has none.
// The page and the API form of an action get the same name
// ("POST /instances/{name}/edit" and "PATCH /api/v1/instances/{name}" are
// both instances.update).
func auditAction(pattern string) string {
	method, path, _ := strings.Cut(pattern, " ")
	path = strings.TrimPrefix(path, "/api/v1")
	var words []string
	lastParam := false
	for _, seg := range strings.Split(strings.Trim(path, "/"), "/") {
		if seg == "" {
			continue
		}
		lastParam = strings.HasPrefix(seg, "{")
		if !lastParam {
			words = append(words, seg)
		}
	}
	// The pages under /admin/ act on the same things as the API.
	if len(words) > 1 && words[0] == "admin" {
		words = words[1:]
	}
	plural := len(words) > 0 && !lastParam && strings.HasSuffix(words[len(words)-1], "s")
	switch {
	case method == http.MethodDelete:
		words = append(words, "delete")
	case method == http.MethodPatch:
		words = append(words, "update")
	case method == http.MethodPut:
		words = append(words, "set")
	case method == http.MethodPost && (lastParam || len(words) == 1 || plural):
		words = append(words, "create")
	}
	a := strings.Join(words, ".")
	if rename, ok := auditRenames[a]; ok {
		return rename
	}
	return a
}

// auditRenames give the page routes whose words differ from the API's the
// API's name.
var auditRenames = map[string]string{
	"instances.edit":      "instances.update",
	"instances.cfg":       "instances.cfg.set",
	"login.create":        "login",
	"logout.create":       "logout",
	"users.limits.create": "users.limits",
}

// auditTarget is what a request acted on: the instance for instance
// routes (and the one a create names), else the path's other identifiers.
func auditTarget(pattern string, r *http.Request, fields map[string][]string) (target, inst string) {
	if name := r.PathValue("name"); strings.Contains(pattern, "{name}") && name != "" {
		target, inst = "instance:"+name, name
		if u := r.PathValue("user"); u != "" {
			target += " user:" + u
		}
		if f := r.PathValue("file"); f != "" {
			target += " backup:" + f
		}
		return target, inst
	}
	_, path, _ := strings.Cut(pattern, " ")
	if (path == "/instances" || path == "/api/v1/instances") && len(fields["name"]) > 0 {
		n := fields["name"][0]
		return "instance:" + n, n
	}
	var parts []string
	segs := strings.Split(strings.Trim(strings.TrimPrefix(path, "/api/v1"), "/"), "/")
	for i, seg := range segs {
		if strings.HasPrefix(seg, "{") && i > 0 {
			key := strings.Trim(seg, "{}")
			parts = append(parts, strings.TrimSuffix(segs[i-1], "s")+":"+url.PathEscape(r.PathValue(key)))
		}
	}
	return strings.Join(parts, " "), ""
}

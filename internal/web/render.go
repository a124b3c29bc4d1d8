package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/left4me/left4me/internal/bytesize"
	"github.com/left4me/left4me/internal/store"
)

// view is what every page template receives.
type view struct {
	Title string
	User  *store.User
	CSRF  string
	Flash string
	Page  any
}

var templateFuncs = template.FuncMap{
	"join": strings.Join,
	"ago":  ago,
	"clock": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Local().Format("2006-01-02 15:04:05")
	},
	"iso": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	},
	"played":    played,
	"list":      func(s ...string) []string { return s },
	"initial":   initial,
	"argGroups": argGroups,
	"bytes":     bytesize.Format,
	"depth": func(d int) int {
		if d > 9 {
			return 9
		}
		return d
	},
}

// argGroups groups a command line for display: each +cvar or -switch with
// the values that follow it ("+map c1m1_hotel").
func argGroups(args []string) []string {
	var out []string
	for _, a := range args {
		isFlag := len(a) > 1 && (a[0] == '+' || a[0] == '-') && (a[1] < '0' || a[1] > '9')
		if isFlag || len(out) == 0 {
			out = append(out, a)
			continue
		}
		out[len(out)-1] += " " + a
	}
	return out
}

// initial is the placeholder avatar's letter.
func initial(name string) string {
	for _, r := range name {
		return strings.ToUpper(string(r))
	}
	return "?"
}

// ago renders how long ago t was, coarsely ("3m", "2h 5m", "4d").
func ago(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return played(time.Since(t))
}

// played renders a duration as a player's time on the server ("1h 02m", "4m 10s").
func played(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d < 0:
		return "0s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm %02ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh %02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// parsePages parses every page template together with the layout.
func parsePages() (map[string]*template.Template, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("web: list templates: %w", err)
	}
	partials, err := partialTemplates(names)
	if err != nil {
		return nil, err
	}
	files := []string{"templates/layout.html"}
	for p := range partials {
		files = append(files, p)
	}
	pages := make(map[string]*template.Template)
	for _, name := range names {
		base := path.Base(name)
		if base == "layout.html" || partials[name] {
			continue
		}
		t, err := template.New(base).Funcs(templateFuncs).ParseFS(templateFS, append(slices.Clone(files), name)...)
		if err != nil {
			return nil, fmt.Errorf("web: parse %s: %w", base, err)
		}
		pages[strings.TrimSuffix(base, ".html")] = t
	}
	return pages, nil
}

// render writes a page. It renders into a buffer first so a template error
// becomes a clean 500 rather than half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, page, title string, data any) {
	p := who(r)
	v := view{Title: title, Page: data, Flash: flashes[r.URL.Query().Get("done")]}
	if p != nil {
		v.User = &p.User
		v.CSRF = p.csrfToken()
	}
	s.renderView(w, r, status, page, v)
}

func (s *Server) renderView(w http.ResponseWriter, r *http.Request, status int, page string, v view) {
	t, ok := s.pages[page]
	if !ok {
		s.log.Error("render: no such page", "page", page)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		s.log.Error("render", "page", page, "path", r.URL.Path, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// flashes are the messages a redirect may ask the next page to show
// (?done=KEY); only these fixed texts can appear.
var flashes = map[string]string{
	"created":   "Instance created.",
	"updated":   "Instance updated.",
	"started":   "Instance started.",
	"stopped":   "Instance stopped.",
	"restarted": "Instance restarted.",
	"reset":     "Instance reset: its writable layer was emptied.",
	"deleted":   "Instance deleted.",
	"cfg":       "server.cfg saved. It takes effect at the next start.",
	"cloned":    "Instance cloned: the copy is stopped, with its own port and RCON password.",
	"template":  "Template saved.",
	"reverted":  "Reverted: the lower layers' version shows through again from the next start.",
	"bdeleted":  "Backup deleted.",
	"shared":    "Sharing updated.",
	"user":      "Accounts updated.",
	"revoked":   "Token revoked.",
	"password":  "Password changed; your other sessions were ended.",
	"pwtokens":  "Password changed; your other sessions were ended and your API tokens revoked.",
	"queued":    "Job queued; this page follows its progress.",
	"dup":       "That job was already queued or running; this is that job.",
	"layer":     "Layer created.",
	"script":    "Script saved. Build the layer to publish a generation with it.",
	"uploaded":  "Upload published as a new generation of the layer.",
	"removed":   "Item removed; a new generation without it was published.",
	"ldeleted":  "Layer deleted. Generations an instance still names are kept until garbage collection.",
	"map":       "Map change sent: the server is loading the map.",
	"nextmap":   "Map set for the next start.",
	"default":   "Default installation generation changed: instances move to it at their next restart (the rolling restart moves the running ones).",
}

// apiError is the JSON body of every 4xx/5xx answer of the API.
type apiError struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
}

// fail answers an error: JSON on API routes, an error page otherwise.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if answersJSON(r) {
		writeJSON(w, status, apiError{Error: msg})
		return
	}
	s.render(w, r, status, "error", http.StatusText(status), msg)
}

// serverError logs err once and answers 500 without details.
func (s *Server) serverError(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	if localPrincipal(r) != nil {
		// The CLI on the local socket (the host's operator) reads the
		// error itself, as it would running the operation on its own.
		s.fail(w, r, http.StatusInternalServerError, err.Error())
		return
	}
	s.fail(w, r, http.StatusInternalServerError, "Something went wrong on the server; the error has been logged.")
}

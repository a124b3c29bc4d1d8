package web

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/left4me/left4me/internal/store"
	"github.com/left4me/left4me/internal/views"
)

// auditPage is the audit log page with its filters.
type auditPage struct {
	Entries                          []views.AuditEntry
	User, Instance, Action, From, To string
	Error                            string
	Admin                            bool
	Retention                        string
}

// auditFilter reads the filters user, instance, action, since and until
// (a date, 2006-01-02, or an RFC 3339 time). Administrators see every
// entry; others those of the instances they may see and their own.
func (s *Server) auditFilter(r *http.Request) (store.AuditFilter, *auditPage, error) {
	q := r.URL.Query()
	pg := &auditPage{User: q.Get("user"), Instance: q.Get("instance"), Action: q.Get("action"), From: q.Get("since"), To: q.Get("until")}
	f := store.AuditFilter{Actor: strings.TrimSpace(pg.User), Instance: strings.TrimSpace(pg.Instance), Action: strings.TrimSpace(pg.Action), Limit: 500}
	var err error
	if f.Since, err = auditTime(pg.From, false); err != nil {
		return f, pg, fmt.Errorf("since: %w", err)
	}
	if f.Until, err = auditTime(pg.To, true); err != nil {
		return f, pg, fmt.Errorf("until: %w", err)
	}
	if p := who(r); !p.User.IsAdmin {
		f.VisibleTo = p.User.ID
	}
	pg.Admin = who(r).User.IsAdmin
	return f, pg, nil
}

// auditTime parses a filter time; a date's end is the next midnight.
func auditTime(s string, end bool) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", s, time.Local); err == nil {
		if end {
			t = t.AddDate(0, 0, 1)
		}
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date (2006-01-02) or an RFC 3339 time", s)
	}
	return t, nil
}

func (s *Server) auditOn(w http.ResponseWriter, r *http.Request) bool {
	if s.cfg.Audit == nil {
		s.fail(w, r, http.StatusNotFound, "The audit log is not enabled on this panel.")
		return false
	}
	return true
}

// auditList shows the audit log.
func (s *Server) auditList(w http.ResponseWriter, r *http.Request) {
	if !s.auditOn(w, r) {
		return
	}
	f, pg, err := s.auditFilter(r)
	status := http.StatusOK
	if err != nil {
		pg.Error, status = err.Error(), http.StatusBadRequest
	} else {
		es, err := s.cfg.Audit.List(r.Context(), f)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		pg.Entries = views.NewAuditEntries(es)
	}
	pg.Retention = fmt.Sprintf("%d days", int(s.cfg.Audit.Retention().Hours()/24))
	s.render(w, r, status, "audit", "Audit log", pg)
}

// apiAudit answers the audit log's entries, newest first.
func (s *Server) apiAudit(w http.ResponseWriter, r *http.Request) {
	if !s.auditOn(w, r) {
		return
	}
	f, _, err := s.auditFilter(r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, apiError{Error: err.Error(), Field: strings.SplitN(err.Error(), ":", 2)[0]})
		return
	}
	es, err := s.cfg.Audit.List(r.Context(), f)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, views.NewAuditEntries(es))
}

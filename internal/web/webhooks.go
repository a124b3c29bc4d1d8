package web

import (
	"net/http"
	"strings"

	"github.com/left4me/left4me/internal/notify"
	"github.com/left4me/left4me/internal/store"
	"github.com/left4me/left4me/internal/views"
)

// webhooksPage is the administrators' webhook page.
type webhooksPage struct {
	Hooks   []webhookRow
	Events  []string
	Formats []string
	// The form as sent, with its errors, after a refusal.
	URL, Format string
	Chosen      map[string]bool
	Errors      map[string]string
	// NewSecret is the secret of the webhook just made: shown once.
	NewSecret string
	NewID     int64
	// Tested is the delivery a Test button just made.
	Tested *views.Delivery
}

type webhookRow struct {
	views.Webhook
	Deliveries []views.Delivery
}

// webhooksOn answers 404 when the panel has no webhook service.
func (s *Server) webhooksOn(w http.ResponseWriter, r *http.Request) bool {
	if s.cfg.Webhooks == nil {
		s.fail(w, r, http.StatusNotFound, "Webhooks are not enabled on this panel.")
		return false
	}
	return true
}

func (s *Server) webhookList(w http.ResponseWriter, r *http.Request) {
	if !s.webhooksOn(w, r) {
		return
	}
	s.showWebhooks(w, r, http.StatusOK, webhooksPage{})
}

func (s *Server) showWebhooks(w http.ResponseWriter, r *http.Request, status int, pg webhooksPage) {
	hooks, err := s.cfg.Webhooks.List(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	for _, h := range hooks {
		ds, err := s.cfg.Webhooks.Deliveries(r.Context(), h.ID)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		pg.Hooks = append(pg.Hooks, webhookRow{Webhook: views.NewWebhook(h), Deliveries: views.NewDeliveries(ds)})
	}
	pg.Events, pg.Formats = notify.Events(), notify.Formats()
	if pg.Format == "" {
		pg.Format = notify.FormatJSON
	}
	s.render(w, r, status, "webhooks", "Webhooks", pg)
}

// webhookEvents reads the add form's or the JSON's events: a list, or
// texts of names separated by commas.
func webhookEvents(list []string) []string {
	var out []string
	for _, e := range list {
		out = append(out, strings.FieldsFunc(e, func(r rune) bool { return r == ',' || r == ' ' })...)
	}
	return out
}

func (s *Server) webhookCreate(w http.ResponseWriter, r *http.Request) {
	if !s.webhooksOn(w, r) {
		return
	}
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, http.StatusBadRequest, "The form could not be read.")
		return
	}
	events := webhookEvents(r.PostForm["events"])
	spec := notify.Spec{URL: r.PostFormValue("url"), Format: r.PostFormValue("format"), Events: events, CreatedBy: who(r).User.ID}
	h, err := s.cfg.Webhooks.Add(r.Context(), spec)
	if err != nil {
		a, ok := answerFor(err)
		if !ok {
			s.serverError(w, r, err)
			return
		}
		chosen := map[string]bool{}
		for _, e := range events {
			chosen[e] = true
		}
		s.showWebhooks(w, r, a.status, webhooksPage{URL: spec.URL, Format: spec.Format, Chosen: chosen,
			Errors: map[string]string{a.field: a.msg}})
		return
	}
	s.showWebhooks(w, r, http.StatusCreated, webhooksPage{NewSecret: h.Secret, NewID: h.ID})
}

func (s *Server) webhookDelete(w http.ResponseWriter, r *http.Request) {
	if !s.webhooksOn(w, r) {
		return
	}
	id, ok := pathID(r, "id")
	err := error(notify.ErrNotFound)
	if ok {
		err = s.cfg.Webhooks.Remove(r.Context(), id)
	}
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/webhooks", http.StatusSeeOther)
}

func (s *Server) webhookTest(w http.ResponseWriter, r *http.Request) {
	if !s.webhooksOn(w, r) {
		return
	}
	d, ok := s.testWebhook(w, r)
	if !ok {
		return
	}
	v := views.NewDelivery(d)
	s.showWebhooks(w, r, http.StatusOK, webhooksPage{Tested: &v})
}

// testWebhook sends the test event to the path's webhook.
func (s *Server) testWebhook(w http.ResponseWriter, r *http.Request) (store.Delivery, bool) {
	id, ok := pathID(r, "id")
	err := error(notify.ErrNotFound)
	var d store.Delivery
	if ok {
		d, err = s.cfg.Webhooks.Test(r.Context(), id)
	}
	if err != nil {
		s.failErr(w, r, err)
		return store.Delivery{}, false
	}
	return d, true
}

// API

func (s *Server) apiWebhookList(w http.ResponseWriter, r *http.Request) {
	if !s.webhooksOn(w, r) {
		return
	}
	hooks, err := s.cfg.Webhooks.List(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	out := make([]views.Webhook, 0, len(hooks))
	for _, h := range hooks {
		v := views.NewWebhook(h)
		ds, err := s.cfg.Webhooks.Deliveries(r.Context(), h.ID)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		if len(ds) > 0 {
			d := views.NewDelivery(ds[0])
			v.LastDelivery = &d
		}
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiWebhookCreate(w http.ResponseWriter, r *http.Request) {
	if !s.webhooksOn(w, r) {
		return
	}
	var req struct {
		URL    string   `json:"url"`
		Events []string `json:"events"`
		Format string   `json:"format"`
	}
	if err := decodeJSON(r, &req); err != nil {
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	h, err := s.cfg.Webhooks.Add(r.Context(), notify.Spec{URL: req.URL, Events: webhookEvents(req.Events), Format: req.Format, CreatedBy: who(r).User.ID})
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	v := views.NewWebhook(h)
	v.Secret = h.Secret
	writeJSON(w, http.StatusCreated, v)
}

func (s *Server) apiWebhookDelete(w http.ResponseWriter, r *http.Request) {
	if !s.webhooksOn(w, r) {
		return
	}
	id, ok := pathID(r, "id")
	err := error(notify.ErrNotFound)
	if ok {
		err = s.cfg.Webhooks.Remove(r.Context(), id)
	}
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiWebhookTest(w http.ResponseWriter, r *http.Request) {
	if !s.webhooksOn(w, r) {
		return
	}
	d, ok := s.testWebhook(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, views.NewDelivery(d))
}

func (s *Server) apiWebhookDeliveries(w http.ResponseWriter, r *http.Request) {
	if !s.webhooksOn(w, r) {
		return
	}
	id, ok := pathID(r, "id")
	err := error(notify.ErrNotFound)
	var ds []store.Delivery
	if ok {
		ds, err = s.cfg.Webhooks.Deliveries(r.Context(), id)
	}
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, views.NewDeliveries(ds))
}

package views

import (
	"time"

	"github.com/left4me/left4me/internal/store"
)

// Webhook is a webhook as the API and the CLI show it. Secret is present
// only in the answer that made it.
type Webhook struct {
	ID        int64     `json:"id"`
	URL       string    `json:"url"`
	Events    []string  `json:"events"` // empty: every event
	Format    string    `json:"format"`
	CreatedAt time.Time `json:"created_at"`
	Secret    string    `json:"secret,omitempty"`
	// LastDelivery is the newest delivery, when there is one.
	LastDelivery *Delivery `json:"last_delivery,omitempty"`
}

// NewWebhook is the view of w without its secret.
func NewWebhook(w store.Webhook) Webhook {
	return Webhook{ID: w.ID, URL: w.URL, Events: nonNil(w.Events), Format: w.Format, CreatedAt: w.CreatedAt}
}

// Delivery is one attempt to deliver an event.
type Delivery struct {
	ID         int64     `json:"id"`
	Event      string    `json:"event"`
	Instance   string    `json:"instance,omitempty"`
	Attempt    int       `json:"attempt"`
	StatusCode int       `json:"status_code"` // 0: no answer
	Error      string    `json:"error,omitempty"`
	At         time.Time `json:"at"`
}

// NewDelivery is the view of d.
func NewDelivery(d store.Delivery) Delivery {
	return Delivery{ID: d.ID, Event: d.Event, Instance: d.Instance, Attempt: d.Attempt, StatusCode: d.StatusCode, Error: d.Error, At: d.At}
}

// NewDeliveries is the view of ds, never nil.
func NewDeliveries(ds []store.Delivery) []Delivery {
	out := make([]Delivery, 0, len(ds))
	for _, d := range ds {
		out = append(out, NewDelivery(d))
	}
	return out
}

// AuditEntry is one entry of the audit log.
type AuditEntry struct {
	ID       int64     `json:"id"`
	At       time.Time `json:"at"`
	Actor    string    `json:"actor"`
	UserID   int64     `json:"user_id"`  // 0: not a panel account
	TokenID  int64     `json:"token_id"` // 0: no API token
	Action   string    `json:"action"`
	Target   string    `json:"target,omitempty"`
	Instance string    `json:"instance,omitempty"`
	Summary  string    `json:"summary,omitempty"`
	Address  string    `json:"address,omitempty"`
	// Result is "ok" or why it failed.
	Result string `json:"result"`
	OK     bool   `json:"ok"`
}

// NewAuditEntries is the view of es, never nil.
func NewAuditEntries(es []store.AuditEntry) []AuditEntry {
	out := make([]AuditEntry, 0, len(es))
	for _, e := range es {
		v := AuditEntry{ID: e.ID, At: e.At, Actor: e.Actor, UserID: e.UserID, TokenID: e.TokenID, Action: e.Action,
			Target: e.Target, Instance: e.Instance, Summary: e.Summary, Address: e.Address, Result: e.Result, OK: e.Result == ""}
		if v.OK {
			v.Result = "ok"
		}
		out = append(out, v)
	}
	return out
}

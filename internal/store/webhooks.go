package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Webhook is an endpoint events are sent to (internal/notify).
type Webhook struct {
	ID        int64
	URL       string
	Events    []string // empty: every event
	Format    string   // json, discord or slack
	Secret    string   // signs bodies; shown once when made
	CreatedBy int64    // 0: the CLI or a deleted user
	CreatedAt time.Time
}

// Delivery is one attempt to deliver an event to a webhook.
type Delivery struct {
	ID         int64
	WebhookID  int64
	Event      string
	Instance   string
	Attempt    int
	StatusCode int    // 0: no answer (timeout, refused)
	Error      string // empty on success
	At         time.Time
}

// DeliveriesKept is how many deliveries each webhook keeps.
const DeliveriesKept = 50

const webhookColumns = `id, url, events, format, secret, coalesce(created_by, 0), created_at`

func scanWebhook(row rowScanner) (Webhook, error) {
	var w Webhook
	var events, created string
	if err := row.Scan(&w.ID, &w.URL, &events, &w.Format, &w.Secret, &w.CreatedBy, &created); err != nil {
		return Webhook{}, err
	}
	if events != "" {
		w.Events = strings.Split(events, ",")
	}
	w.CreatedAt = parseTime(created)
	return w, nil
}

// CreateWebhook stores w (its ID and CreatedAt are set) and returns it.
func (s *Store) CreateWebhook(ctx context.Context, w Webhook) (Webhook, error) {
	created := now()
	var by any
	if w.CreatedBy > 0 {
		by = w.CreatedBy
	}
	res, err := s.db.ExecContext(ctx,
		`INSERT INTO webhooks (url, events, format, secret, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		w.URL, strings.Join(w.Events, ","), w.Format, w.Secret, by, created)
	if err != nil {
		return Webhook{}, fmt.Errorf("create webhook: %w", err)
	}
	if w.ID, err = res.LastInsertId(); err != nil {
		return Webhook{}, fmt.Errorf("create webhook: %w", err)
	}
	w.CreatedAt = parseTime(created)
	return w, nil
}

// Webhooks lists every webhook, oldest first.
func (s *Store) Webhooks(ctx context.Context) ([]Webhook, error) {
	return queryAll(ctx, s.db, "list webhooks", scanWebhook, `SELECT `+webhookColumns+` FROM webhooks ORDER BY id`)
}

// WebhookByID returns one webhook; ErrNotFound when there is none.
func (s *Store) WebhookByID(ctx context.Context, id int64) (Webhook, error) {
	w, err := scanWebhook(s.db.QueryRowContext(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Webhook{}, fmt.Errorf("webhook %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Webhook{}, fmt.Errorf("webhook %d: %w", id, err)
	}
	return w, nil
}

// DeleteWebhook removes a webhook with its deliveries.
func (s *Store) DeleteWebhook(ctx context.Context, id int64) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM webhooks WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete webhook %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("webhook %d: %w", id, ErrNotFound)
	}
	return nil
}

// AddDelivery records a delivery attempt and drops the webhook's
// deliveries beyond the newest DeliveriesKept.
func (s *Store) AddDelivery(ctx context.Context, d Delivery) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("record delivery: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO webhook_deliveries (webhook_id, event, instance, attempt, status_code, error, at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		d.WebhookID, d.Event, d.Instance, d.Attempt, d.StatusCode, d.Error, formatTime(d.At)); err != nil {
		return fmt.Errorf("record delivery: %w", err)
	}
	if _, err := tx.ExecContext(ctx,
		`DELETE FROM webhook_deliveries WHERE webhook_id = ? AND id NOT IN
		 (SELECT id FROM webhook_deliveries WHERE webhook_id = ? ORDER BY id DESC LIMIT ?)`,
		d.WebhookID, d.WebhookID, DeliveriesKept); err != nil {
		return fmt.Errorf("record delivery: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("record delivery: %w", err)
	}
	return nil
}

// Deliveries returns a webhook's kept deliveries, newest first.
func (s *Store) Deliveries(ctx context.Context, webhookID int64) ([]Delivery, error) {
	return queryAll(ctx, s.db, "list deliveries", func(row rowScanner) (Delivery, error) {
		var d Delivery
		var at string
		err := row.Scan(&d.ID, &d.WebhookID, &d.Event, &d.Instance, &d.Attempt, &d.StatusCode, &d.Error, &at)
		d.At = parseTime(at)
		return d, err
	}, `SELECT id, webhook_id, event, instance, attempt, status_code, error, at FROM webhook_deliveries
	    WHERE webhook_id = ? ORDER BY id DESC`, webhookID)
}

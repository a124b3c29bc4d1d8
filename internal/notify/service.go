package notify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/left4me/left4me/internal/jobs"
	"github.com/left4me/left4me/internal/publicnet"
	"github.com/left4me/left4me/internal/store"
)

// KindDelivery is the job kind of one event's delivery to one webhook.
const KindDelivery = "webhook_delivery"

// DeliveryQueue is the job queue deliveries run in, apart from every other
// job (jobs.Config.Queues must name it, with QueueWorkers): a receiver that
// hangs holds a delivery worker, never an install's or a build's.
const DeliveryQueue = "webhooks"

// QueueWorkers is how many deliveries run at once.
const QueueWorkers = 4

// DefaultTimeout bounds one delivery attempt.
const DefaultTimeout = 10 * time.Second

// Store is what the service needs from the database (*store.Store).
type Store interface {
	CreateWebhook(ctx context.Context, w store.Webhook) (store.Webhook, error)
	Webhooks(ctx context.Context) ([]store.Webhook, error)
	WebhookByID(ctx context.Context, id int64) (store.Webhook, error)
	DeleteWebhook(ctx context.Context, id int64) error
	AddDelivery(ctx context.Context, d store.Delivery) error
	Deliveries(ctx context.Context, webhookID int64) ([]store.Delivery, error)
}

// Queue enqueues delivery jobs (*jobs.Manager).
type Queue interface {
	Enqueue(ctx context.Context, kind string, args any, opts jobs.EnqueueOpts) (int64, bool, error)
}

// Resolver looks host names up (net.DefaultResolver).
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Config tunes a Service; zero fields take the defaults noted.
type Config struct {
	// AllowLoopback lets webhooks reach loopback addresses, for a bridge
	// on this host (LEFT4ME_WEBHOOK_ALLOW_LOOPBACK). Private and
	// link-local addresses stay refused, as for Workshop downloads.
	AllowLoopback bool
	// Timeout bounds each delivery attempt; DefaultTimeout when zero.
	Timeout time.Duration
	// MaxAttempts is how often a delivery is tried; 6 when zero.
	MaxAttempts int
	// Client sends the requests; nil builds one that dials only the
	// addresses publicnet allows.
	Client *http.Client
	// Resolver checks a URL's host when a webhook is added; nil is
	// net.DefaultResolver.
	Resolver Resolver
	Logger   *slog.Logger
	Now      func() time.Time
}

// Service keeps webhooks and delivers events to them. Its Notify is what
// the lifecycle, the watchdog and the schedules call.
type Service struct {
	cfg   Config
	st    Store
	queue Queue
	log   *slog.Logger
	hc    *http.Client
}

// New returns a Service over st; queue may be nil in a process that never
// notifies (Notify then only logs).
func New(cfg Config, st Store, queue Queue) *Service {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 6
	}
	if cfg.Resolver == nil {
		cfg.Resolver = net.DefaultResolver
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	hc := cfg.Client
	if hc == nil {
		hc = &http.Client{
			Transport: &http.Transport{
				Proxy:                 http.ProxyFromEnvironment,
				DialContext:           publicnet.Dialer(&net.Dialer{Timeout: cfg.Timeout}, publicnet.Options{AllowLoopback: cfg.AllowLoopback}),
				TLSHandshakeTimeout:   cfg.Timeout,
				ResponseHeaderTimeout: cfg.Timeout,
				MaxIdleConnsPerHost:   2,
				IdleConnTimeout:       90 * time.Second,
			},
			// A redirect is an answer: the delivery does not follow it.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	return &Service{cfg: cfg, st: st, queue: queue, log: cfg.Logger, hc: hc}
}

// Spec is a webhook to add.
type Spec struct {
	URL       string
	Events    []string // nil: every event
	Format    string   // "" is json
	CreatedBy int64    // the panel account; 0 for the CLI
}

// Add checks spec and stores the webhook with a new secret, which the
// returned record carries (show it once). Bad input is a FieldError
// naming url, events or format; nothing is stored then.
func (s *Service) Add(ctx context.Context, spec Spec) (store.Webhook, error) {
	u, err := s.checkURL(ctx, spec.URL)
	if err != nil {
		return store.Webhook{}, err
	}
	format, err := ParseFormat(spec.Format)
	if err != nil {
		return store.Webhook{}, err
	}
	events, err := ParseEvents(strings.Join(spec.Events, ","))
	if err != nil {
		return store.Webhook{}, err
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return store.Webhook{}, fmt.Errorf("make webhook secret: %w", err)
	}
	return s.st.CreateWebhook(ctx, store.Webhook{URL: u, Events: events, Format: format,
		Secret: hex.EncodeToString(secret), CreatedBy: spec.CreatedBy})
}

// checkURL accepts an http or https URL whose host is (or resolves only
// to) addresses deliveries may reach. A name that does not resolve now is
// accepted: the dialler checks every delivery's address again.
func (s *Service) checkURL(ctx context.Context, raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if raw == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return "", fieldErr("url", "%q is not an http:// or https:// address", raw)
	}
	if u.User != nil {
		return "", fieldErr("url", "put no user name or password in the address")
	}
	opts := publicnet.Options{AllowLoopback: s.cfg.AllowLoopback}
	host := u.Hostname()
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		addrs = []netip.Addr{netip.MustParseAddr("127.0.0.1")}
	} else {
		lctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		addrs, _ = s.cfg.Resolver.LookupNetIP(lctx, "ip", host)
		cancel()
	}
	for _, a := range addrs {
		if !opts.Allowed(a) {
			hint := ""
			if a.Unmap().IsLoopback() {
				hint = " (a bridge on this host needs LEFT4ME_WEBHOOK_ALLOW_LOOPBACK=1)"
			}
			if host == a.String() {
				return "", fieldErr("url", "%s is not a public address%s", host, hint)
			}
			return "", fieldErr("url", "%s leads to %s, which is not a public address%s", host, a, hint)
		}
	}
	return u.String(), nil
}

// List returns every webhook.
func (s *Service) List(ctx context.Context) ([]store.Webhook, error) { return s.st.Webhooks(ctx) }

// Get returns one webhook; ErrNotFound when there is none.
func (s *Service) Get(ctx context.Context, id int64) (store.Webhook, error) {
	w, err := s.st.WebhookByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Webhook{}, fmt.Errorf("webhook %d: %w", id, ErrNotFound)
	}
	return w, err
}

// Remove deletes a webhook; its queued deliveries find it gone and end.
func (s *Service) Remove(ctx context.Context, id int64) error {
	err := s.st.DeleteWebhook(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("webhook %d: %w", id, ErrNotFound)
	}
	return err
}

// Deliveries returns a webhook's newest deliveries.
func (s *Service) Deliveries(ctx context.Context, id int64) ([]store.Delivery, error) {
	if _, err := s.Get(ctx, id); err != nil {
		return nil, err
	}
	return s.st.Deliveries(ctx, id)
}

// deliveryArgs are a delivery job's arguments.
type deliveryArgs struct {
	WebhookID int64          `json:"webhook_id"`
	Event     string         `json:"event"`
	Instance  string         `json:"instance,omitempty"`
	Time      time.Time      `json:"time"`
	Detail    map[string]any `json:"detail,omitempty"`
}

// Notify enqueues event for every webhook that wants it. It never blocks on
// a webhook and returns nothing: a failure to enqueue is logged.
func (s *Service) Notify(ctx context.Context, event, instance string, detail map[string]any) {
	if !slices.Contains(Events(), event) {
		s.log.Warn("notify: unknown event not sent", "event", event, "instance", instance)
		return
	}
	if s.queue == nil {
		return
	}
	// The caller's request may end before the enqueue; the event may not.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	hooks, err := s.st.Webhooks(ctx)
	if err != nil {
		s.log.Error("notify: list webhooks", "event", event, "err", err)
		return
	}
	at := s.cfg.Now().UTC()
	for _, h := range hooks {
		if !wants(h.Events, event) {
			continue
		}
		args := deliveryArgs{WebhookID: h.ID, Event: event, Instance: instance, Time: at, Detail: detail}
		if _, _, err := s.queue.Enqueue(ctx, KindDelivery, args, jobs.EnqueueOpts{Queue: DeliveryQueue}); err != nil {
			s.log.Error("notify: enqueue delivery", "event", event, "webhook", h.ID, "err", err)
		}
	}
}

// RegisterJobs registers the delivery kind on m.
func (s *Service) RegisterJobs(m *jobs.Manager) error {
	return m.Register(KindDelivery, s.deliverJob, jobs.KindOptions{MaxAttempts: s.cfg.MaxAttempts, Timeout: s.cfg.Timeout + 5*time.Second})
}

// deliverJob is one attempt of one delivery: a 2xx answer ends it, a 4xx
// other than 408, 425 and 429 fails it at once, anything else is retried
// with the queue's backoff.
func (s *Service) deliverJob(ctx context.Context, run *jobs.Run) error {
	var a deliveryArgs
	if err := run.Args(&a); err != nil {
		return jobs.Permanent(fmt.Errorf("delivery arguments: %w", err))
	}
	h, err := s.st.WebhookByID(ctx, a.WebhookID)
	if errors.Is(err, store.ErrNotFound) {
		run.Logf("webhook %d was removed; nothing to deliver", a.WebhookID)
		return nil
	}
	if err != nil {
		return err
	}
	run.Progress(0, fmt.Sprintf("%s to webhook %d", a.Event, h.ID))
	d, err := s.deliver(ctx, h, Payload{Event: a.Event, Instance: a.Instance, Time: a.Time, Detail: a.Detail}, run.Attempt())
	if err == nil {
		run.Progress(1, fmt.Sprintf("%s to webhook %d: HTTP %d", a.Event, h.ID, d.StatusCode))
		return nil
	}
	run.Logf("attempt %d: %v", run.Attempt(), err)
	if errors.Is(err, publicnet.ErrNotPublic) || d.StatusCode >= 400 && d.StatusCode < 500 &&
		d.StatusCode != http.StatusRequestTimeout && d.StatusCode != http.StatusTooEarly && d.StatusCode != http.StatusTooManyRequests {
		return jobs.Permanent(err)
	}
	return err
}

// Test sends a webhook.test event to webhook id now, records the attempt
// and returns it (its StatusCode and Error say how it went).
func (s *Service) Test(ctx context.Context, id int64) (store.Delivery, error) {
	h, err := s.Get(ctx, id)
	if err != nil {
		return store.Delivery{}, err
	}
	d, _ := s.deliver(ctx, h, Payload{Event: EventTest, Time: s.cfg.Now().UTC(),
		Detail: map[string]any{"message": "a test from left4me"}}, 1)
	return d, nil
}

// deliver sends one attempt and records it.
func (s *Service) deliver(ctx context.Context, h store.Webhook, p Payload, attempt int) (store.Delivery, error) {
	d := store.Delivery{WebhookID: h.ID, Event: p.Event, Instance: p.Instance, Attempt: attempt, At: s.cfg.Now()}
	code, err := s.send(ctx, h, p)
	d.StatusCode = code
	if err != nil {
		d.Error = err.Error()
	}
	// Recorded even when the job's context ended (a timeout is the news).
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if rerr := s.st.AddDelivery(rctx, d); rerr != nil {
		s.log.Error("record webhook delivery", "webhook", h.ID, "err", rerr)
	}
	return d, err
}

// send posts p to h within the per-delivery timeout and returns the status.
func (s *Service) send(ctx context.Context, h store.Webhook, p Payload) (int, error) {
	body, err := Body(h.Format, p)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, strings.NewReader(string(body)))
	if err != nil {
		return 0, fmt.Errorf("webhook %d: %w", h.ID, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "left4me-webhook")
	req.Header.Set("X-Left4me-Event", p.Event)
	req.Header.Set(SignatureHeader, Sign(h.Secret, body))
	resp, err := s.hc.Do(req)
	if err != nil {
		var ne net.Error
		if ctx.Err() != nil || errors.As(err, &ne) && ne.Timeout() && !errors.Is(err, publicnet.ErrNotPublic) {
			return 0, fmt.Errorf("no answer within %v", s.cfg.Timeout)
		}
		return 0, fmt.Errorf("post: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("answered HTTP %d", resp.StatusCode)
	}
	return resp.StatusCode, nil
}

package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/left4me/left4me/internal/notify"
	"github.com/left4me/left4me/internal/views"
)

func parseWebhookID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%w: webhook id %q: want the number webhook list shows", errUsage, s)
	}
	return id, nil
}

func webhookAdd(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	events := fs.String("events", "", "events to send, separated by commas (default all): "+strings.Join(notify.Events(), ", "))
	format := fs.String("format", "json", "body format: json (signed), discord or slack")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, _, err := parseFlags(fs, args, 1)
	if err != nil {
		return err
	}
	evs, err := notify.ParseEvents(*events)
	if err != nil {
		return err
	}
	return withApp(ctx, env, func(a *app) error {
		h, err := a.notify.Add(ctx, notify.Spec{URL: pos[0], Events: evs, Format: *format})
		if err != nil {
			return err
		}
		if *asJSON {
			v := views.NewWebhook(h)
			v.Secret = h.Secret
			return writeJSON(env.stdout, v)
		}
		fmt.Fprintf(env.stdout, "added webhook %d (%s)\nsigning secret, shown only now: %s\n", h.ID, h.Format, h.Secret)
		return nil
	})
}

func webhookList(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	asJSON := fs.Bool("json", false, "print JSON")
	if _, _, err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	return withApp(ctx, env, func(a *app) error {
		hooks, err := a.notify.List(ctx)
		if err != nil {
			return err
		}
		out := make([]views.Webhook, 0, len(hooks))
		for _, h := range hooks {
			v := views.NewWebhook(h)
			ds, err := a.notify.Deliveries(ctx, h.ID)
			if err != nil {
				return err
			}
			if len(ds) > 0 {
				d := views.NewDelivery(ds[0])
				v.LastDelivery = &d
			}
			out = append(out, v)
		}
		if *asJSON {
			return writeJSON(env.stdout, out)
		}
		tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tFORMAT\tEVENTS\tLAST DELIVERY\tURL")
		for _, v := range out {
			events := "all"
			if len(v.Events) > 0 {
				events = strings.Join(v.Events, ",")
			}
			last := "-"
			if d := v.LastDelivery; d != nil {
				last = d.At.Local().Format("2006-01-02 15:04:05") + " " + deliveryStatus(*d)
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", v.ID, v.Format, events, last, v.URL)
		}
		return tw.Flush()
	})
}

// deliveryStatus is "HTTP 200", or "no answer" with the error.
func deliveryStatus(d views.Delivery) string {
	if d.StatusCode == 0 {
		return "no answer: " + d.Error
	}
	return "HTTP " + strconv.Itoa(d.StatusCode)
}

func webhookRemove(ctx context.Context, env *cliEnv, args []string) error {
	pos, _, err := parseFlags(newFlags(env), args, 1)
	if err != nil {
		return err
	}
	id, err := parseWebhookID(pos[0])
	if err != nil {
		return err
	}
	return withApp(ctx, env, func(a *app) error {
		if err := a.notify.Remove(ctx, id); err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "removed webhook %d\n", id)
		return nil
	})
}

func webhookTest(ctx context.Context, env *cliEnv, args []string) error {
	pos, _, err := parseFlags(newFlags(env), args, 1)
	if err != nil {
		return err
	}
	id, err := parseWebhookID(pos[0])
	if err != nil {
		return err
	}
	return withApp(ctx, env, func(a *app) error {
		d, err := a.notify.Test(ctx, id)
		if err != nil {
			return err
		}
		if d.Error != "" {
			return fmt.Errorf("webhook %d: the test delivery failed: %s", id, d.Error)
		}
		fmt.Fprintf(env.stdout, "webhook %d answered HTTP %d\n", id, d.StatusCode)
		return nil
	})
}

func webhookDeliveries(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, _, err := parseFlags(fs, args, 1)
	if err != nil {
		return err
	}
	id, err := parseWebhookID(pos[0])
	if err != nil {
		return err
	}
	return withApp(ctx, env, func(a *app) error {
		ds, err := a.notify.Deliveries(ctx, id)
		if errors.Is(err, notify.ErrNotFound) {
			return fmt.Errorf("webhook %d does not exist (see webhook list)", id)
		}
		if err != nil {
			return err
		}
		out := views.NewDeliveries(ds)
		if *asJSON {
			return writeJSON(env.stdout, out)
		}
		tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "AT\tEVENT\tINSTANCE\tATTEMPT\tSTATUS")
		for _, d := range out {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", d.At.Local().Format("2006-01-02 15:04:05"), d.Event, d.Instance, d.Attempt, deliveryStatus(d))
		}
		return tw.Flush()
	})
}

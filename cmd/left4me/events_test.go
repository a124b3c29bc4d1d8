package main

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/events"
	"github.com/left4me/left4me/internal/instance"
)

func TestParseLogCap(t *testing.T) {
	for _, tc := range []struct {
		env     map[string]string
		want    instance.LogCap
		errName string
	}{
		{env: nil, want: instance.LogCap{}},
		{env: map[string]string{"LEFT4ME_LOG_FILES": "5", "LEFT4ME_LOG_MIB": "2"}, want: instance.LogCap{Files: 5, Bytes: 2 << 20}},
		{env: map[string]string{"LEFT4ME_LOG_FILES": "0"}, errName: "LEFT4ME_LOG_FILES"},
		{env: map[string]string{"LEFT4ME_LOG_FILES": "many"}, errName: "LEFT4ME_LOG_FILES"},
		{env: map[string]string{"LEFT4ME_LOG_MIB": "-1"}, errName: "LEFT4ME_LOG_MIB"},
	} {
		c, err := loadConfig(envFunc(tc.env))
		if tc.errName != "" {
			if err == nil || !strings.Contains(err.Error(), tc.errName) {
				t.Errorf("%v: error %v, want one naming %s", tc.env, err, tc.errName)
			}
			continue
		}
		if err != nil || c.LogCap != tc.want {
			t.Errorf("%v: %+v, %v; want %+v", tc.env, c.LogCap, err, tc.want)
		}
	}
}

type listFunc func(ctx context.Context) ([]instance.Instance, error)

func (f listFunc) List(ctx context.Context) ([]instance.Instance, error) { return f(ctx) }

type statusMap map[string]instance.Status

func (m statusMap) Status(_ context.Context, name string) (instance.Status, error) {
	return m[name], nil
}

func TestRunningInstances(t *testing.T) {
	since := time.Date(2026, 11, 30, 18, 0, 0, 0, time.UTC)
	list := listFunc(func(context.Context) ([]instance.Instance, error) {
		return []instance.Instance{{Name: "a"}, {Name: "b"}, {Name: "c"}}, nil
	})
	states := statusMap{"a": {State: instance.Running, Since: since}, "b": {State: instance.Starting}, "c": {State: instance.Stopped}}
	got, err := runningInstances(list, states)(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := []events.Running{{Name: "a", Since: since}}; !slices.Equal(got, want) {
		t.Errorf("running = %+v, want %+v", got, want)
	}
}

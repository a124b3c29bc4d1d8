package views

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/content"
	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/jobs"
	"github.com/left4me/left4me/internal/srcds"
	"github.com/left4me/left4me/internal/store"
	"github.com/left4me/left4me/internal/workshop"
)

// TestNullRules: the views of empty domain values have no null and no
// zero time: lists are [] and values that are not there are left out.
func TestNullRules(t *testing.T) {
	now := time.Now()
	inst := instance.Instance{Name: "a", OwnerID: 1, Port: 40000, RCONPassword: "secret", CreatedAt: now, UpdatedAt: now}
	owners := Names{1: "alice"}
	for _, tc := range []struct {
		name string
		v    any
		want []string // parts the JSON must have
	}{
		{"instance", NewInstance(inst, owners, instance.Status{State: instance.Stopped}, nil, false),
			[]string{`"layers":[]`, `"args":[]`, `"want_running":false`}},
		{"instance of unknown state", NewInstance(inst, owners, instance.Status{}, errors.New("bus gone"), false),
			[]string{`"state":"unknown"`, `"state_error":"bus gone"`}},
		{"live from status", LiveFromStatus(srcds.Status{Map: "c1m1_hotel"}, now), []string{`"players":[]`, `"bots":0`}},
		{"live not answering", LiveNotAnswering(errors.New("timeout")), []string{`"not_answering":true`, `"error":"timeout"`, `"players":[]`}},
		{"layer", NewLayer(content.LayerInfo{Layer: store.Layer{ID: "made", Kind: store.LayerScript, Name: "Made"}}), []string{`"generations":[]`, `"used_by":[]`, `"incremental":false`}},
		{"workshop item", NewWorkshopItem(store.WorkshopItem{ID: 101}),
			[]string{`"banned":false`, `"addon":{"maps":[],"campaigns":[],"warnings":[]}`}},
		{"workshop layer", NewWorkshopLayer(workshop.LayerView{WorkshopLayer: store.WorkshopLayer{ID: "maps"}}, true), []string{`"item_ids":[]`, `"items":[]`}},
		{"job", NewJob(jobs.Job{ID: 1, Kind: "test", State: jobs.StateQueued, CreatedAt: now, ScheduledAt: now}, nil), []string{`"args":{}`, `"title":"test"`, `"errors":[]`, `"user_id":0`, `"user":"system"`, `"cancel_requested":false`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(tc.v)
			if err != nil {
				t.Fatal(err)
			}
			s := string(b)
			if strings.Contains(s, "null") || strings.Contains(s, "0001-01-01") || strings.Contains(s, `""`) {
				t.Errorf("a null, zero time or empty string in %s", s)
			}
			for _, w := range tc.want {
				if !strings.Contains(s, w) {
					t.Errorf("%s lacks %s", s, w)
				}
			}
		})
	}
}

// TestNamesUser: the one account-name lookup.
func TestNamesUser(t *testing.T) {
	n := Names{1: "alice"}
	for id, want := range map[int64]string{0: "system", 1: "alice", 7: "#7"} {
		if got := n.User(id); got != want {
			t.Errorf("User(%d) = %q, want %q", id, got, want)
		}
	}
}

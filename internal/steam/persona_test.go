package steam

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const testKey = "0123456789ABCDEF0123456789ABCDEF"

// fakeSteam serves GetPlayerSummaries in the shape Steam uses, knowing every
// id except those listed in unknown. It records each request's id count.
type fakeSteam struct {
	mu       sync.Mutex
	requests []int
	status   int // non-zero: answer every request with this status
	unknown  map[uint64]bool
}

func (f *fakeSteam) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/ISteamUser/GetPlayerSummaries/v0002/" || r.Method != http.MethodGet {
		http.NotFound(w, r)
		return
	}
	f.mu.Lock()
	status := f.status
	f.mu.Unlock()
	if status != 0 {
		http.Error(w, "<html><body>Forbidden</body></html>", status)
		return
	}
	if r.URL.Query().Get("key") != testKey {
		http.Error(w, "<html><head><title>Forbidden</title></head><body><h1>Forbidden</h1>Access is denied. Retrying will not help. Please verify your <pre>key=</pre> parameter.</body></html>", http.StatusForbidden)
		return
	}
	ids := strings.Split(r.URL.Query().Get("steamids"), ",")
	f.mu.Lock()
	f.requests = append(f.requests, len(ids))
	f.mu.Unlock()
	if len(ids) > 100 {
		http.Error(w, "Bad Request", http.StatusBadRequest)
		return
	}
	var players []string
	for _, s := range ids {
		id, err := strconv.ParseUint(s, 10, 64)
		if err != nil || f.unknown[id] {
			continue
		}
		hash := fmt.Sprintf("%040x", id)
		players = append(players, fmt.Sprintf(`{"steamid":"%d","communityvisibilitystate":3,"profilestate":1,"personaname":"Player %d","commentpermission":1,"profileurl":"https://steamcommunity.com/profiles/%d/","avatar":"https://avatars.steamstatic.com/%s.jpg","avatarmedium":"https://avatars.steamstatic.com/%s_medium.jpg","avatarfull":"https://avatars.steamstatic.com/%s_full.jpg","avatarhash":"%s","lastlogoff":1732913456,"personastate":1,"primaryclanid":"103582791429521408","timecreated":1262304000,"personastateflags":0,"loccountrycode":"DE"}`,
			id, id, id, hash, hash, hash, hash))
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	fmt.Fprintf(w, `{"response":{"players":[%s]}}`, strings.Join(players, ","))
}

func (f *fakeSteam) requestSizes() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]int(nil), f.requests...)
}

func personaTestIDs(from uint64, n int) []uint64 {
	out := make([]uint64, n)
	for i := range out {
		out[i] = from + uint64(i)
	}
	return out
}

const personaTestBase = 76561197960265728

func TestPlayerSummaries(t *testing.T) {
	ctx := context.Background()
	fake := &fakeSteam{unknown: map[uint64]bool{personaTestBase + 7: true}}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	c := NewClient(srv.URL, testKey, srv.Client())

	tests := []struct {
		name     string
		ids      []uint64
		want     int
		requests []int
	}{
		{"one", []uint64{personaTestBase + 1}, 1, []int{1}},
		{"unknown left out", []uint64{personaTestBase + 1, personaTestBase + 7}, 1, []int{2}},
		{"duplicates and zero once", []uint64{personaTestBase + 1, 0, personaTestBase + 1}, 1, []int{1}},
		{"exactly 100", personaTestIDs(personaTestBase+1000, 100), 100, []int{100}},
		{"250 in three batches", personaTestIDs(personaTestBase+2000, 250), 250, []int{100, 100, 50}},
		{"none", nil, 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(fake.requestSizes())
			got, err := c.PlayerSummaries(ctx, tc.ids)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tc.want {
				t.Errorf("got %d personas, want %d", len(got), tc.want)
			}
			if sizes := fake.requestSizes()[before:]; fmt.Sprint(sizes) != fmt.Sprint(tc.requests) {
				t.Errorf("request sizes = %v, want %v", sizes, tc.requests)
			}
		})
	}
	got, _ := c.PlayerSummaries(ctx, []uint64{personaTestBase + 1})
	p := got[personaTestBase+1]
	if p.SteamID64 != personaTestBase+1 || p.Name != "Player 76561197960265729" ||
		!strings.HasSuffix(p.AvatarFull, "_full.jpg") || !strings.HasSuffix(p.AvatarMedium, "_medium.jpg") ||
		!strings.HasPrefix(p.Avatar, "https://avatars.steamstatic.com/") ||
		p.ProfileURL != "https://steamcommunity.com/profiles/76561197960265729/" {
		t.Errorf("persona = %+v", p)
	}
}

func TestPlayerSummariesErrors(t *testing.T) {
	ctx := context.Background()
	fake := &fakeSteam{}
	srv := httptest.NewServer(fake)
	defer srv.Close()

	_, err := NewClient(srv.URL, "wrong-key", srv.Client()).PlayerSummaries(ctx, []uint64{personaTestBase + 1})
	if err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("bad key: err = %v, want a 403 error", err)
	}
	if err != nil && strings.Contains(err.Error(), "wrong-key") {
		t.Errorf("error reveals the API key: %v", err)
	}

	fake.status = http.StatusTooManyRequests
	_, err = NewClient(srv.URL, testKey, srv.Client()).PlayerSummaries(ctx, []uint64{personaTestBase + 1})
	if err == nil || !strings.Contains(err.Error(), "429") {
		t.Errorf("rate limited: err = %v, want a 429 error", err)
	}

	garbage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"response":{"players":[{"steamid":`)
	}))
	defer garbage.Close()
	if _, err := NewClient(garbage.URL, testKey, nil).PlayerSummaries(ctx, []uint64{personaTestBase + 1}); err == nil {
		t.Errorf("truncated JSON was accepted")
	}

	srv.Close() // connection refused: a transport error must not carry the URL (and key)
	_, err = NewClient(srv.URL, testKey, nil).PlayerSummaries(ctx, []uint64{personaTestBase + 1})
	if err == nil {
		t.Fatal("request to a closed server succeeded")
	}
	if strings.Contains(err.Error(), testKey) {
		t.Errorf("transport error reveals the API key: %v", err)
	}
}

func TestPersonaCache(t *testing.T) {
	ctx := context.Background()
	fake := &fakeSteam{unknown: map[uint64]bool{personaTestBase + 9: true}}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	pc := NewPersonaCache(NewClient(srv.URL, testKey, srv.Client()), time.Hour)
	clock := time.Date(2026, 11, 29, 22, 0, 0, 0, time.UTC)
	pc.now = func() time.Time { return clock }

	steps := []struct {
		name     string
		advance  time.Duration
		status   int
		ids      []uint64
		want     int
		requests []int
		wantErr  bool
	}{
		{"first lookup asks Steam", 0, 0, []uint64{personaTestBase + 1, personaTestBase + 2, personaTestBase + 9}, 2, []int{3}, false},
		{"cache hit, unknown id cached too", time.Minute, 0, []uint64{personaTestBase + 1, personaTestBase + 2, personaTestBase + 9}, 2, nil, false},
		{"only the new id is asked", 0, 0, []uint64{personaTestBase + 1, personaTestBase + 3}, 2, []int{1}, false},
		{"failure returns cached ones and the error", 0, http.StatusServiceUnavailable, []uint64{personaTestBase + 1, personaTestBase + 4}, 1, nil, true},
		{"within backoff Steam is not asked", 30 * time.Second, 0, []uint64{personaTestBase + 1, personaTestBase + 4}, 1, nil, false},
		{"after backoff it is", time.Minute, 0, []uint64{personaTestBase + 1, personaTestBase + 4}, 2, []int{1}, false},
		{"expired entries are fetched again", 2 * time.Hour, 0, []uint64{personaTestBase + 1}, 1, []int{1}, false},
	}
	for _, st := range steps {
		clock = clock.Add(st.advance)
		fake.mu.Lock()
		fake.status = st.status
		fake.mu.Unlock()
		before := len(fake.requestSizes())
		got, err := pc.Personas(ctx, st.ids)
		if (err != nil) != st.wantErr {
			t.Errorf("%s: err = %v, want error %v", st.name, err, st.wantErr)
		}
		if len(got) != st.want {
			t.Errorf("%s: got %d personas, want %d", st.name, len(got), st.want)
		}
		// A failing request is answered before it is recorded.
		if sizes := fake.requestSizes()[before:]; fmt.Sprint(sizes) != fmt.Sprint(st.requests) {
			t.Errorf("%s: request sizes = %v, want %v", st.name, sizes, st.requests)
		}
	}
}

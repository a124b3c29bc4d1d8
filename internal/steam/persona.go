// Package steam talks to Steam's services; this file holds the Web API's
// player summaries (persona names and avatars) and a cache over them.
package steam

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultAPIBase is the Steam Web API's address.
const DefaultAPIBase = "https://api.steampowered.com"

// maxSummaryIDs is how many SteamIDs GetPlayerSummaries accepts per request
// (docs/srcds.md §5).
const maxSummaryIDs = 100

// Persona is a Steam account's public profile as GetPlayerSummaries
// reports it.
type Persona struct {
	SteamID64    uint64
	Name         string // personaname
	Avatar       string // 32×32
	AvatarMedium string // 64×64
	AvatarFull   string // 184×184
	ProfileURL   string
}

// Client calls the Steam Web API's player-summary method. It needs an API
// key; the key is a secret and never appears in errors or logs.
type Client struct {
	base string
	key  string
	hc   *http.Client
}

// NewClient returns a client for the Web API at baseURL (DefaultAPIBase
// when empty; tests pass an httptest server) with the given key. A nil hc
// means a client with a 10-second timeout.
func NewClient(baseURL, apiKey string, hc *http.Client) *Client {
	if baseURL == "" {
		baseURL = DefaultAPIBase
	}
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	return &Client{base: strings.TrimRight(baseURL, "/"), key: apiKey, hc: hc}
}

// summariesReply is the shape of GetPlayerSummaries v0002's answer.
type summariesReply struct {
	Response struct {
		Players []struct {
			SteamID      string `json:"steamid"`
			PersonaName  string `json:"personaname"`
			ProfileURL   string `json:"profileurl"`
			Avatar       string `json:"avatar"`
			AvatarMedium string `json:"avatarmedium"`
			AvatarFull   string `json:"avatarfull"`
		} `json:"players"`
	} `json:"response"`
}

// PlayerSummaries looks up the personas of the given 64-bit SteamIDs,
// asking at most 100 per request. Accounts Steam does not know are absent
// from the result. Duplicate and zero ids are ignored.
func (c *Client) PlayerSummaries(ctx context.Context, ids []uint64) (map[uint64]Persona, error) {
	out := make(map[uint64]Persona, len(ids))
	seen := make(map[uint64]bool, len(ids))
	var uniq []uint64
	for _, id := range ids {
		if id != 0 && !seen[id] {
			seen[id] = true
			uniq = append(uniq, id)
		}
	}
	for start := 0; start < len(uniq); start += maxSummaryIDs {
		batch := uniq[start:min(start+maxSummaryIDs, len(uniq))]
		if err := c.summaries(ctx, batch, out); err != nil {
			return out, err
		}
	}
	return out, nil
}

func (c *Client) summaries(ctx context.Context, ids []uint64, out map[uint64]Persona) error {
	strs := make([]string, len(ids))
	for i, id := range ids {
		strs[i] = strconv.FormatUint(id, 10)
	}
	q := url.Values{"key": {c.key}, "steamids": {strings.Join(strs, ",")}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet,
		c.base+"/ISteamUser/GetPlayerSummaries/v0002/?"+q.Encode(), nil)
	if err != nil {
		return fmt.Errorf("steam player summaries: %w", redact(err))
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("steam player summaries: %w", redact(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		// NOTE: Steam answers 403 for a bad key and 429 when rate limited.
		return fmt.Errorf("steam player summaries: HTTP status %s", resp.Status)
	}
	var reply summariesReply
	if err := json.NewDecoder(io.LimitReader(resp.Body, 8<<20)).Decode(&reply); err != nil {
		return fmt.Errorf("steam player summaries: decode reply: %w", err)
	}
	for _, p := range reply.Response.Players {
		id, err := strconv.ParseUint(p.SteamID, 10, 64)
		if err != nil {
			continue // not a 64-bit SteamID: nothing to key it by
		}
		out[id] = Persona{SteamID64: id, Name: p.PersonaName, Avatar: p.Avatar,
			AvatarMedium: p.AvatarMedium, AvatarFull: p.AvatarFull, ProfileURL: p.ProfileURL}
	}
	return nil
}

// redact drops the request URL (which carries the API key) from transport
// errors while keeping their cause.
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s request: %w", ue.Op, ue.Err)
	}
	return err
}

// PersonaCache remembers personas for a while so that a panel refreshing
// every few seconds asks Steam only about players it has not seen lately.
// It is safe for concurrent use.
type PersonaCache struct {
	client  *Client
	ttl     time.Duration
	backoff time.Duration
	now     func() time.Time

	fetch sync.Mutex // one request to Steam at a time

	mu        sync.Mutex
	entries   map[uint64]cacheEntry
	failedAt  time.Time
	lastSweep time.Time
}

type cacheEntry struct {
	persona Persona
	found   bool // false: Steam does not know the id (cached too, so it is not asked again)
	expires time.Time
}

// NewPersonaCache wraps c with a cache whose entries live for ttl (one hour
// when <= 0). After a failed request it serves only cached entries for a
// minute before asking Steam again.
func NewPersonaCache(c *Client, ttl time.Duration) *PersonaCache {
	if ttl <= 0 {
		ttl = time.Hour
	}
	return &PersonaCache{client: c, ttl: ttl, backoff: time.Minute, now: time.Now,
		entries: make(map[uint64]cacheEntry)}
}

// Personas returns the known personas of ids, from the cache where fresh
// and from Steam otherwise. On a request failure it returns what the cache
// holds together with the error.
func (pc *PersonaCache) Personas(ctx context.Context, ids []uint64) (map[uint64]Persona, error) {
	out, missing := pc.lookup(ids)
	if len(missing) == 0 {
		return out, nil
	}
	pc.fetch.Lock()
	defer pc.fetch.Unlock()
	// Another caller may have fetched some of them while this one waited.
	cached, missing := pc.lookup(missing)
	for id, p := range cached {
		out[id] = p
	}
	if len(missing) == 0 {
		return out, nil
	}
	pc.mu.Lock()
	wait := !pc.failedAt.IsZero() && pc.now().Sub(pc.failedAt) < pc.backoff
	pc.mu.Unlock()
	if wait {
		return out, nil
	}
	got, err := pc.client.PlayerSummaries(ctx, missing)
	now := pc.now()
	pc.mu.Lock()
	defer pc.mu.Unlock()
	for id, p := range got {
		pc.entries[id] = cacheEntry{persona: p, found: true, expires: now.Add(pc.ttl)}
		out[id] = p
	}
	if err != nil {
		pc.failedAt = now
		return out, err
	}
	pc.failedAt = time.Time{}
	for _, id := range missing {
		if _, ok := got[id]; !ok && id != 0 {
			pc.entries[id] = cacheEntry{expires: now.Add(pc.ttl)}
		}
	}
	return out, nil
}

// lookup splits ids into fresh cached personas and ids to ask Steam about,
// and now and then forgets expired entries.
func (pc *PersonaCache) lookup(ids []uint64) (map[uint64]Persona, []uint64) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	now := pc.now()
	if now.Sub(pc.lastSweep) > pc.ttl {
		for id, e := range pc.entries {
			if now.After(e.expires) {
				delete(pc.entries, id)
			}
		}
		pc.lastSweep = now
	}
	out := make(map[uint64]Persona, len(ids))
	var missing []uint64
	for _, id := range ids {
		e, ok := pc.entries[id]
		switch {
		case ok && now.Before(e.expires):
			if e.found {
				out[id] = e.persona
			}
		case id != 0:
			missing = append(missing, id)
		}
	}
	return out, missing
}

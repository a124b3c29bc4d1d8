package workshop

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// DefaultAPIBase is the Steam Web API's address (STEAM_API_BASE overrides it).
const DefaultAPIBase = "https://api.steampowered.com"

// AppID is Left 4 Dead 2's Steam app id; Workshop items for any other game
// are refused.
const AppID = 550

// Result codes of the Web API (EResult). Anything but ResultOK means the
// item cannot be had: 9 is "file not found" (deleted or hidden).
const (
	ResultOK       = 1
	ResultNotFound = 9
)

// Limits applied to the Web API's answers so that a misbehaving server
// cannot make us allocate without bound.
const (
	// MaxReplySize is the largest Web API reply body read.
	MaxReplySize = 16 << 20
	// MaxBatch is how many ids one request carries.
	MaxBatch = 100
	// MaxFileSize is the largest item file accepted (VPKs are well below).
	MaxFileSize = 8 << 30
	// maxTextLen caps titles, file names and URLs kept from a reply.
	maxTextLen = 8 << 10
	// maxChildren caps the children of one collection.
	maxChildren = 5000
)

// ErrWrongApp is returned (wrapped) for an item that belongs to another game.
var ErrWrongApp = errors.New("not a Left 4 Dead 2 Workshop item")

// ErrUnavailable is returned (wrapped) for an item Steam does not serve
// (removed, hidden or never existed: result != 1).
//
//lint:ignore ST1005 "Workshop" is a name, and the message is shown as it is.
var ErrUnavailable = errors.New("Workshop item unavailable")

// ErrBadReply is returned (wrapped) when a Web API reply does not have the
// documented shape.
var ErrBadReply = errors.New("malformed Steam Web API reply")

// ErrRefusedItem is wrapped by the error recorded on an item whose entry
// in a details reply is unusable (a file_url that is not http(s), a size
// out of range, no time_updated, …): only that item is refused, the rest of
// the reply is used. Another attempt gets the same answer, so it is not
// retried before the next refresh.
//
//lint:ignore ST1005 "Steam" is a name, and the message is shown as it is.
var ErrRefusedItem = errors.New("Steam's details of the item are unusable")

// Details is what GetPublishedFileDetails says about one item.
type Details struct {
	ID     uint64
	Result int // ResultOK, or why the item is unavailable
	// Refused, when set, says why the item's entry is unusable; only ID,
	// Result, ConsumerAppID and Title may be set besides (each only when
	// it was valid), and Available is false.
	Refused string
	// The rest is only set when Result is ResultOK.
	ConsumerAppID int64
	Title         string
	Filename      string
	FileSize      int64
	FileURL       string
	PreviewURL    string
	TimeUpdated   int64 // Unix seconds; names the downloaded revision
	Banned        bool
	BanReason     string
}

// Available reports whether Steam serves the item (and its entry was
// usable).
func (d Details) Available() bool { return d.Result == ResultOK && d.Refused == "" }

// RefusedErr is the error recorded on a refused item; nil when the entry
// was usable.
func (d Details) RefusedErr() error {
	if d.Refused == "" {
		return nil
	}
	return fmt.Errorf("%w: item %d: %s", ErrRefusedItem, d.ID, d.Refused)
}

// Revision is the revision directory name of this version of the item:
// its time_updated in decimal.
func (d Details) Revision() string { return strconv.FormatInt(d.TimeUpdated, 10) }

// Client calls the Steam Web API's Workshop methods. They need no key.
type Client struct {
	base string
	hc   *http.Client
}

// NewClient returns a client for the Web API at baseURL (DefaultAPIBase when
// empty; tests pass an httptest server). A nil hc means a client with a
// 30-second timeout.
func NewClient(baseURL string, hc *http.Client) *Client {
	if baseURL == "" {
		baseURL = DefaultAPIBase
	}
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return &Client{base: strings.TrimRight(baseURL, "/"), hc: hc}
}

// Details fetches the details of ids (in batches of MaxBatch) and returns
// them in the order asked. Every id gets an entry; unavailable items carry
// their result code. Network trouble and HTTP 5xx/429 wrap ErrTransient.
func (c *Client) Details(ctx context.Context, ids []uint64) ([]Details, error) {
	out := make([]Details, 0, len(ids))
	for start := 0; start < len(ids); start += MaxBatch {
		batch := ids[start:min(start+MaxBatch, len(ids))]
		form := idForm("itemcount", batch)
		body, err := c.post(ctx, "/ISteamRemoteStorage/GetPublishedFileDetails/v1/", form)
		if err != nil {
			return nil, c.askErr("the details of", batch, err)
		}
		got, err := DecodeDetails(bytes.NewReader(body))
		if err != nil {
			return nil, c.askErr("the details of", batch, err)
		}
		byID := make(map[uint64]Details, len(got))
		for _, d := range got {
			byID[d.ID] = d
		}
		for _, id := range batch {
			d, ok := byID[id]
			if !ok {
				return nil, c.askErr("the details of", batch, fmt.Errorf("%w: no entry for item %d", ErrBadReply, id))
			}
			out = append(out, d)
		}
	}
	return out, nil
}

// Collection is one GetCollectionDetails entry.
type Collection struct {
	ID       uint64
	Result   int
	Children []Child // in the collection's sort order
}

// Child is a member of a collection.
type Child struct {
	ID       uint64
	FileType int // 0 an item, 2 a nested collection
}

// FileTypeCollection is the filetype of a child that is itself a collection.
const FileTypeCollection = 2

// Collections fetches GetCollectionDetails for ids, in batches. An id that
// is not a collection comes back with no children.
func (c *Client) Collections(ctx context.Context, ids []uint64) ([]Collection, error) {
	out := make([]Collection, 0, len(ids))
	for start := 0; start < len(ids); start += MaxBatch {
		batch := ids[start:min(start+MaxBatch, len(ids))]
		body, err := c.post(ctx, "/ISteamRemoteStorage/GetCollectionDetails/v1/", idForm("collectioncount", batch))
		if err != nil {
			return nil, c.askErr("", batch, err)
		}
		got, err := DecodeCollections(bytes.NewReader(body))
		if err != nil {
			return nil, c.askErr("", batch, err)
		}
		byID := make(map[uint64]Collection, len(got))
		for _, col := range got {
			byID[col.ID] = col
		}
		for _, id := range batch {
			col, ok := byID[id]
			if !ok {
				col = Collection{ID: id, Result: ResultNotFound}
			}
			out = append(out, col)
		}
	}
	return out, nil
}

func idForm(countKey string, ids []uint64) url.Values {
	form := url.Values{countKey: {strconv.Itoa(len(ids))}}
	for i, id := range ids {
		form.Set(fmt.Sprintf("publishedfileids[%d]", i), strconv.FormatUint(id, 10))
	}
	return form
}

// post sends a form and returns the body of a 200 reply, at most
// MaxReplySize bytes.
func (c *Client) post(ctx context.Context, path string, form url.Values) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, classifyNetErr(ctx, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, statusErr(resp)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxReplySize+1))
	if err != nil {
		return nil, classifyNetErr(ctx, err)
	}
	if len(body) > MaxReplySize {
		return nil, fmt.Errorf("%w: reply larger than %d bytes", ErrBadReply, MaxReplySize)
	}
	return body, nil
}

// jsonInt accepts a JSON number or a string of digits: the Web API sends
// file_size as a string in some versions and a number in others.
type jsonInt struct {
	v   int64
	set bool
}

func (n *jsonInt) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		return nil
	}
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	if s == "" || len(s) > 20 {
		return fmt.Errorf("bad integer %.32q", string(b))
	}
	neg := false
	if s[0] == '-' {
		neg, s = true, s[1:]
	}
	if !isDigits(s) {
		return fmt.Errorf("bad integer %.32q", string(b))
	}
	u, err := strconv.ParseUint(s, 10, 64)
	if err != nil || u > math.MaxInt64 {
		return fmt.Errorf("integer %.32q out of range", string(b))
	}
	n.v, n.set = int64(u), true
	if neg {
		n.v = -n.v
	}
	return nil
}

// jsonBool accepts true/false or 0/1 (banned is an integer in
// ISteamRemoteStorage and a boolean elsewhere).
type jsonBool bool

func (v *jsonBool) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case "true", "1", `"1"`:
		*v = true
	case "false", "0", `"0"`, "null":
		*v = false
	default:
		return fmt.Errorf("bad boolean %.32q", string(b))
	}
	return nil
}

type detailsReply struct {
	Response *struct {
		Result  jsonInt        `json:"result"`
		Details []detailsEntry `json:"publishedfiledetails"`
	} `json:"response"`
}

type detailsEntry struct {
	PublishedFileID string   `json:"publishedfileid"`
	Result          jsonInt  `json:"result"`
	ConsumerAppID   jsonInt  `json:"consumer_app_id"`
	Filename        string   `json:"filename"`
	FileSize        jsonInt  `json:"file_size"`
	FileURL         string   `json:"file_url"`
	PreviewURL      string   `json:"preview_url"`
	Title           string   `json:"title"`
	TimeUpdated     jsonInt  `json:"time_updated"`
	Banned          jsonBool `json:"banned"`
	BanReason       string   `json:"ban_reason"`
}

// decodeStrict decodes exactly one JSON value from r into v: the body must
// end after it. Unknown fields are ignored (Steam adds fields over time),
// but every field left4me reads is type-checked by v's types.
func decodeStrict(r io.Reader, v any) error {
	dec := json.NewDecoder(io.LimitReader(r, MaxReplySize+1))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %v", ErrBadReply, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: data after the JSON value", ErrBadReply)
	}
	return nil
}

// DecodeDetails decodes a GetPublishedFileDetails reply. It checks the
// shape and every value left4me uses: ids are valid, available items name
// their app, file sizes lie within 0..MaxFileSize, URLs are http(s), text
// is valid UTF-8 of bounded length. A reply that is not of the documented
// shape, or whose ids are bad or repeated, is refused as a whole
// (ErrBadReply); an entry with a bad value is refused alone: it comes back
// with Refused set, the others as they are. It does not check the app id;
// the caller decides what to do with other games' items.
func DecodeDetails(r io.Reader) ([]Details, error) {
	var reply detailsReply
	if err := decodeStrict(r, &reply); err != nil {
		return nil, err
	}
	if reply.Response == nil {
		return nil, fmt.Errorf("%w: no \"response\" object", ErrBadReply)
	}
	out := make([]Details, 0, len(reply.Response.Details))
	seen := map[uint64]bool{}
	for i, e := range reply.Response.Details {
		id, err := parseDecimalID(e.PublishedFileID)
		if err != nil {
			return nil, fmt.Errorf("%w: publishedfiledetails[%d]: publishedfileid %.32q: %v", ErrBadReply, i, e.PublishedFileID, err)
		}
		if seen[id] {
			return nil, fmt.Errorf("%w: item %d listed twice", ErrBadReply, id)
		}
		seen[id] = true
		out = append(out, e.check(id))
	}
	return out, nil
}

// textOK reports whether s is text left4me keeps: valid UTF-8 of at most
// maxTextLen bytes.
func textOK(s string) bool { return len(s) <= maxTextLen && utf8.ValidString(s) }

// problem says what is wrong with an entry's values, "" when nothing is.
func (e detailsEntry) problem() string {
	if !e.Result.set {
		return "no result"
	}
	if e.Result.v < 0 || e.Result.v > math.MaxInt32 {
		return fmt.Sprintf("result %d out of range", e.Result.v)
	}
	if e.Result.v != ResultOK {
		return ""
	}
	if !e.ConsumerAppID.set || e.ConsumerAppID.v < 0 {
		return "no consumer_app_id"
	}
	if e.FileSize.v < 0 || e.FileSize.v > MaxFileSize {
		return fmt.Sprintf("file_size %d out of range", e.FileSize.v)
	}
	if !e.TimeUpdated.set || e.TimeUpdated.v < 0 {
		return "no valid time_updated"
	}
	for _, f := range []struct{ name, s string }{
		{"title", e.Title}, {"filename", e.Filename}, {"file_url", e.FileURL},
		{"preview_url", e.PreviewURL}, {"ban_reason", e.BanReason},
	} {
		if len(f.s) > maxTextLen {
			return fmt.Sprintf("%s longer than %d bytes", f.name, maxTextLen)
		}
		if !utf8.ValidString(f.s) {
			return fmt.Sprintf("%s is not valid UTF-8", f.name)
		}
	}
	for _, f := range []struct{ name, s string }{{"file_url", e.FileURL}, {"preview_url", e.PreviewURL}} {
		if f.s == "" {
			continue
		}
		u, err := url.Parse(f.s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Sprintf("%s %.64q is not an http(s) URL", f.name, f.s)
		}
	}
	return ""
}

// check turns the entry of item id into Details, refused (Refused set)
// when a value is bad.
func (e detailsEntry) check(id uint64) Details {
	d := Details{ID: id}
	if why := e.problem(); why != "" {
		d.Refused = why
		if e.Result.set && e.Result.v >= 0 && e.Result.v <= math.MaxInt32 {
			d.Result = int(e.Result.v)
		}
		if e.ConsumerAppID.set && e.ConsumerAppID.v >= 0 {
			d.ConsumerAppID = e.ConsumerAppID.v
		}
		if textOK(e.Title) {
			d.Title = e.Title
		}
		return d
	}
	d.Result = int(e.Result.v)
	if d.Result != ResultOK {
		return d
	}
	d.ConsumerAppID = e.ConsumerAppID.v
	d.Title = e.Title
	d.Filename = e.Filename
	d.FileSize = e.FileSize.v
	d.FileURL = e.FileURL
	d.PreviewURL = e.PreviewURL
	d.TimeUpdated = e.TimeUpdated.v
	d.Banned = bool(e.Banned)
	d.BanReason = e.BanReason
	return d
}

type collectionsReply struct {
	Response *struct {
		Result  jsonInt `json:"result"`
		Details []struct {
			PublishedFileID string  `json:"publishedfileid"`
			Result          jsonInt `json:"result"`
			Children        []struct {
				PublishedFileID string  `json:"publishedfileid"`
				SortOrder       jsonInt `json:"sortorder"`
				FileType        jsonInt `json:"filetype"`
			} `json:"children"`
		} `json:"collectiondetails"`
	} `json:"response"`
}

// DecodeCollections decodes a GetCollectionDetails reply. Children come back
// ordered by sortorder (ties keep the reply's order), duplicates removed.
func DecodeCollections(r io.Reader) ([]Collection, error) {
	var reply collectionsReply
	if err := decodeStrict(r, &reply); err != nil {
		return nil, err
	}
	if reply.Response == nil {
		return nil, fmt.Errorf("%w: no \"response\" object", ErrBadReply)
	}
	out := make([]Collection, 0, len(reply.Response.Details))
	for i, e := range reply.Response.Details {
		id, err := parseDecimalID(e.PublishedFileID)
		if err != nil {
			return nil, fmt.Errorf("%w: collectiondetails[%d]: publishedfileid %.32q: %v", ErrBadReply, i, e.PublishedFileID, err)
		}
		if !e.Result.set {
			return nil, fmt.Errorf("%w: collection %d: no result", ErrBadReply, id)
		}
		if len(e.Children) > maxChildren {
			return nil, fmt.Errorf("%w: collection %d has more than %d children", ErrBadReply, id, maxChildren)
		}
		col := Collection{ID: id, Result: int(e.Result.v)}
		type sorted struct {
			child Child
			order int64
		}
		var kids []sorted
		seen := map[uint64]bool{}
		for j, ch := range e.Children {
			cid, err := parseDecimalID(ch.PublishedFileID)
			if err != nil {
				return nil, fmt.Errorf("%w: collection %d child %d: publishedfileid %.32q: %v", ErrBadReply, id, j, ch.PublishedFileID, err)
			}
			if seen[cid] {
				continue
			}
			seen[cid] = true
			kids = append(kids, sorted{Child{ID: cid, FileType: int(ch.FileType.v)}, ch.SortOrder.v})
		}
		sort.SliceStable(kids, func(a, b int) bool { return kids[a].order < kids[b].order })
		for _, k := range kids {
			col.Children = append(col.Children, k.child)
		}
		out = append(out, col)
	}
	return out, nil
}

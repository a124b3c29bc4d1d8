// Package workshoptest is a stand-in for Steam's Workshop services in
// tests: one httptest server answering the Web API's
// GetPublishedFileDetails and GetCollectionDetails with the documented JSON
// shapes (docs/srcds.md §5) and serving the items' files from the
// file_url it hands out. Faults can be injected: truncated transfers, no
// Range support, corrupt files, removed and banned items, a file_url that
// is not http(s) (Item.FileURL), and items hosted on SteamPipe, whose
// details carry no usable file_url (docs/srcds.md §8): see Hosting.
package workshoptest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/vpk"
)

// Item is a Workshop item the server knows.
type Item struct {
	ID uint64
	// AppID is consumer_app_id (and creator_app_id); 0 means 550.
	AppID int64
	// Result is Steam's result code; 0 means 1 (OK). 9 is a removed item.
	Result      int
	Title       string
	TimeUpdated int64
	Banned      bool
	BanReason   string
	// Data is the file served at file_url (normally a VPK from MakeVPK).
	Data []byte
	// SizeOverride, when non-zero, is reported as file_size instead of
	// len(Data).
	SizeOverride int64
	// Hosting is how the file is offered; the zero value is a file_url
	// that serves Data.
	Hosting Hosting
	// FileURL, when set, is sent as file_url whatever Hosting says: a
	// fault such as "file:///etc/passwd" or "gopher://host/1".
	FileURL string
}

// Hosting is how an item's file is offered.
type Hosting int

// Ways an item's file is offered. Only HostFileURL serves Data over HTTP;
// the others are what SteamPipe-hosted items look like, whose file only
// steamcmd (workshop_download_item) gets.
const (
	// HostFileURL: file_url serves the file.
	HostFileURL Hosting = iota
	// HostSteamPipe: file_url is empty; filename and file_size are set.
	HostSteamPipe
	// HostPreviewURL: file_url is the item's preview image URL.
	HostPreviewURL
	// HostImage: file_url looks like a file URL but answers with a JPEG
	// (Content-Type image/jpeg).
	HostImage
)

// Counts are the requests the server has seen.
type Counts struct {
	Details     int // GetPublishedFileDetails calls
	Collections int // GetCollectionDetails calls
	FileGets    int // file requests
	RangeGets   int // file requests with a Range header
	// Files counts requests per item id.
	Files map[uint64]int
	// MaxInFlight is the most file requests served at the same time.
	MaxInFlight int
}

// Server is the fake. Its methods are safe for concurrent use.
type Server struct {
	srv *httptest.Server

	mu          sync.Mutex
	items       map[uint64]Item
	collections map[uint64][]uint64
	counts      Counts
	truncate    int  // the next this many file responses are cut short
	noRange     bool // ignore Range headers
	fail5xx     int  // the next this many API and file requests answer 503
	inFlight    int
	delay       time.Duration // before answering a file request
}

// SetFileDelay makes every file request wait d before answering, so that
// concurrent downloads overlap.
func (s *Server) SetFileDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// New starts a server that is closed when the test ends.
func New(t testing.TB) *Server {
	s := &Server{items: map[uint64]Item{}, collections: map[uint64][]uint64{}, counts: Counts{Files: map[uint64]int{}}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /ISteamRemoteStorage/GetPublishedFileDetails/v1/", s.details)
	mux.HandleFunc("POST /ISteamRemoteStorage/GetCollectionDetails/v1/", s.collectionDetails)
	mux.HandleFunc("GET /ugc/{id}/{rev}", s.file)
	mux.HandleFunc("GET /preview/{name}", s.preview)
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the API base URL (STEAM_API_BASE) and the host of file URLs.
func (s *Server) URL() string { return s.srv.URL }

// Client returns an HTTP client for the server.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// SetItem adds or replaces an item.
func (s *Server) SetItem(it Item) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.items[it.ID] = it
}

// Item returns the item with id as last set.
func (s *Server) Item(id uint64) Item {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.items[id]
}

// SetCollection makes id a collection of 550 with the given children, in order.
func (s *Server) SetCollection(id uint64, title string, children ...uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.collections[id] = children
	s.items[id] = Item{ID: id, Title: title, TimeUpdated: 1}
}

// Counts returns the requests seen so far.
func (s *Server) Counts() Counts {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.counts
	c.Files = maps.Clone(s.counts.Files)
	return c
}

// TruncateNext makes the next n file responses send half the file and then
// close the connection.
func (s *Server) TruncateNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.truncate = n
}

// NoRange makes the file server ignore Range headers (always 200, whole
// file), like a server without range support.
func (s *Server) NoRange(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.noRange = on
}

// FailNext makes the next n requests (API or file) answer 503.
func (s *Server) FailNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail5xx = n
}

func (s *Server) failing() bool {
	if s.fail5xx > 0 {
		s.fail5xx--
		return true
	}
	return false
}

// formIDs reads publishedfileids[0..count-1] as the real API does.
func formIDs(r *http.Request, countKey string) ([]uint64, error) {
	if err := r.ParseForm(); err != nil {
		return nil, err
	}
	n, err := strconv.Atoi(r.PostForm.Get(countKey))
	if err != nil || n < 1 {
		return nil, fmt.Errorf("bad %s", countKey)
	}
	ids := make([]uint64, n)
	for i := range n {
		ids[i], err = strconv.ParseUint(r.PostForm.Get(fmt.Sprintf("publishedfileids[%d]", i)), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("bad publishedfileids[%d]", i)
		}
	}
	return ids, nil
}

func (s *Server) details(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts.Details++
	if s.failing() {
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	ids, err := formIDs(r, "itemcount")
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	list := make([]map[string]any, 0, len(ids))
	for _, id := range ids {
		it, ok := s.items[id]
		idStr := strconv.FormatUint(id, 10)
		if !ok || (it.Result != 0 && it.Result != 1) {
			result := 9
			if ok {
				result = it.Result
			}
			list = append(list, map[string]any{"publishedfileid": idStr, "result": result})
			continue
		}
		app := it.AppID
		if app == 0 {
			app = 550
		}
		size := int64(len(it.Data))
		if it.SizeOverride != 0 {
			size = it.SizeOverride
		}
		fileURL, filename := "", ""
		previewURL := fmt.Sprintf("%s/preview/%d.jpg", s.srv.URL, id)
		if _, isCol := s.collections[id]; !isCol {
			fileURL = fmt.Sprintf("%s/ugc/%d/%d", s.srv.URL, id, it.TimeUpdated)
			filename = fmt.Sprintf("myl4d2addons/%s.vpk", strings.ReplaceAll(strings.ToLower(it.Title), " ", "_"))
			switch it.Hosting {
			case HostSteamPipe:
				fileURL = ""
			case HostPreviewURL:
				fileURL = previewURL
			}
		} else {
			size = 0
		}
		if it.FileURL != "" {
			fileURL = it.FileURL
		}
		banned := 0
		if it.Banned {
			banned = 1
		}
		list = append(list, map[string]any{
			"publishedfileid":        idStr,
			"result":                 1,
			"creator":                "76561197960287930",
			"creator_app_id":         app,
			"consumer_app_id":        app,
			"filename":               filename,
			"file_size":              size,
			"file_url":               fileURL,
			"hcontent_file":          "1234567890123456789",
			"preview_url":            previewURL,
			"hcontent_preview":       "9876543210987654321",
			"title":                  it.Title,
			"description":            "A test item.\n[b]Enjoy[/b]",
			"time_created":           1262304000,
			"time_updated":           it.TimeUpdated,
			"visibility":             0,
			"banned":                 banned,
			"ban_reason":             it.BanReason,
			"subscriptions":          42,
			"favorited":              7,
			"lifetime_subscriptions": 50,
			"lifetime_favorited":     8,
			"views":                  1000,
			"tags":                   []map[string]string{{"tag": "Campaigns"}, {"tag": "Versus"}},
		})
	}
	writeJSON(w, map[string]any{"response": map[string]any{
		"result": 1, "resultcount": len(list), "publishedfiledetails": list,
	}})
}

func (s *Server) collectionDetails(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts.Collections++
	if s.failing() {
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	ids, err := formIDs(r, "collectioncount")
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	list := make([]map[string]any, 0, len(ids))
	for _, id := range ids {
		entry := map[string]any{"publishedfileid": strconv.FormatUint(id, 10)}
		children, isCol := s.collections[id]
		_, known := s.items[id]
		switch {
		case isCol:
			kids := make([]map[string]any, len(children))
			for i, c := range children {
				ft := 0
				if _, nested := s.collections[c]; nested {
					ft = 2
				}
				kids[i] = map[string]any{"publishedfileid": strconv.FormatUint(c, 10), "sortorder": i + 1, "filetype": ft}
			}
			entry["result"] = 1
			entry["children"] = kids
		case known:
			// What Steam answers for an item that is not a collection.
			entry["result"] = 1
		default:
			entry["result"] = 9
		}
		list = append(list, entry)
	}
	writeJSON(w, map[string]any{"response": map[string]any{
		"result": 1, "resultcount": len(list), "collectiondetails": list,
	}})
}

func (s *Server) file(w http.ResponseWriter, r *http.Request) {
	id, err1 := strconv.ParseUint(r.PathValue("id"), 10, 64)
	rev, err2 := strconv.ParseInt(r.PathValue("rev"), 10, 64)
	s.mu.Lock()
	s.counts.FileGets++
	s.counts.Files[id]++
	if r.Header.Get("Range") != "" {
		s.counts.RangeGets++
	}
	it, ok := s.items[id]
	fail := s.failing()
	truncate := s.truncate > 0
	if truncate {
		s.truncate--
	}
	noRange := s.noRange
	delay := s.delay
	s.inFlight++
	s.counts.MaxInFlight = max(s.counts.MaxInFlight, s.inFlight)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inFlight--
		s.mu.Unlock()
	}()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}

	switch {
	case fail:
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	case err1 != nil || err2 != nil || !ok || it.TimeUpdated != rev || it.Hosting == HostSteamPipe || it.Hosting == HostPreviewURL:
		http.NotFound(w, r)
		return
	case it.Hosting == HostImage:
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(jpegStandIn)
		return
	}
	etag := fmt.Sprintf(`"%d-%d"`, id, rev)
	modTime := time.Unix(rev, 0)
	if truncate {
		w.Header().Set("ETag", etag)
		w.Header().Set("Content-Length", strconv.Itoa(len(it.Data)))
		w.WriteHeader(http.StatusOK)
		w.Write(it.Data[:len(it.Data)/2])
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // closes the connection mid-body
	}
	if noRange {
		w.Header().Set("Content-Length", strconv.Itoa(len(it.Data)))
		w.WriteHeader(http.StatusOK)
		w.Write(it.Data)
		return
	}
	w.Header().Set("ETag", etag)
	http.ServeContent(w, r, "", modTime, bytes.NewReader(it.Data))
}

// jpegStandIn is the start of a JPEG file: what a preview image URL
// serves.
var jpegStandIn = []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9")

// preview serves every item's preview image.
func (s *Server) preview(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "image/jpeg")
	w.Write(jpegStandIn)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "\t")
	enc.Encode(v)
}

// MakeVPK returns an addon VPK titled title holding the given maps (as
// maps/<name>.bsp) and, when there are maps, a missions file listing them
// for coop.
func MakeVPK(t testing.TB, title string, mapNames ...string) []byte {
	t.Helper()
	files := map[string][]byte{
		"addoninfo.txt": fmt.Appendf(nil, "\"AddonInfo\"\n{\n\taddontitle \"%s\"\n\taddonversion \"1.0\"\n\taddonauthor \"tester\"\n}\n", title),
	}
	if len(mapNames) > 0 {
		var m strings.Builder
		fmt.Fprintf(&m, "\"mission\"\n{\n\t\"Name\" \"%s\"\n\t\"DisplayTitle\" \"%s\"\n\t\"modes\"\n\t{\n\t\t\"coop\"\n\t\t{\n", title, title)
		for i, name := range mapNames {
			files["maps/"+name+".bsp"] = bytes.Repeat([]byte(name), 300)
			fmt.Fprintf(&m, "\t\t\t\"%d\" { \"Map\" \"%s\" }\n", i+1, name)
		}
		m.WriteString("\t\t}\n\t}\n}\n")
		files["missions/"+strings.ReplaceAll(strings.ToLower(title), " ", "_")+".txt"] = []byte(m.String())
	}
	var buf bytes.Buffer
	if err := vpk.Write(&buf, files); err != nil {
		t.Fatalf("write test vpk: %v", err)
	}
	return buf.Bytes()
}

// Corrupt returns a copy of a VPK made by MakeVPK with its last data byte
// changed, so that its directory parses but a CRC check fails.
func Corrupt(data []byte) []byte {
	c := bytes.Clone(data)
	c[len(c)-1] ^= 0xFF
	return c
}

package workshop

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestParseID(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint64 // 0: refused
	}{
		{"123456789", 123456789},
		{"  42 ", 42},
		{"00042", 42},
		{"9223372036854775807", 9223372036854775807},
		{"https://steamcommunity.com/sharedfiles/filedetails/?id=123", 123},
		{"https://steamcommunity.com/sharedfiles/filedetails?id=123", 123},
		{"http://steamcommunity.com/sharedfiles/filedetails/?id=123", 123},
		{"https://www.steamcommunity.com/workshop/filedetails/?id=456", 456},
		{"https://STEAMCOMMUNITY.com/sharedfiles/filedetails/?id=7&searchtext=map", 7},
		{"https://steamcommunity.com/sharedfiles/filedetails/?searchtext=&id=8#comments", 8},

		{"", 0},
		{"0", 0},
		{"-5", 0},
		{"+5", 0},
		{"12a", 0},
		{"1.5", 0},
		{"9223372036854775808", 0},   // above int64
		{"18446744073709551616", 0},  // above uint64
		{"123456789012345678901", 0}, // too many digits
		{"steamcommunity.com/sharedfiles/filedetails/?id=1", 0},
		{"steam://url/CommunityFilePage/123", 0},
		{"ftp://steamcommunity.com/sharedfiles/filedetails/?id=1", 0},
		{"https://example.com/sharedfiles/filedetails/?id=1", 0},
		{"https://steamcommunity.com.evil.example/sharedfiles/filedetails/?id=1", 0},
		{"https://user@steamcommunity.com/sharedfiles/filedetails/?id=1", 0},
		{"https://steamcommunity.com:8443/sharedfiles/filedetails/?id=1", 0},
		{"https://steamcommunity.com/id/someone/?id=1", 0},
		{"https://steamcommunity.com/sharedfiles/filedetails/", 0},
		{"https://steamcommunity.com/sharedfiles/filedetails/?id=", 0},
		{"https://steamcommunity.com/sharedfiles/filedetails/?id=1&id=2", 0},
		{"https://steamcommunity.com/sharedfiles/filedetails/?id=0", 0},
		{"https://steamcommunity.com/sharedfiles/filedetails/?id=abc", 0},
		{"https://steamcommunity.com/sharedfiles/filedetails/?id=1;x=2", 0},
		{strings.Repeat("1", 3000), 0},
	} {
		got, err := ParseID(tc.in)
		if tc.want == 0 {
			if err == nil || !errors.Is(err, ErrBadRef) {
				t.Errorf("ParseID(%q) = %d, %v; want an ErrBadRef", tc.in, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseID(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}

func TestParseIDsDedup(t *testing.T) {
	ids, err := ParseIDs([]string{"3", "https://steamcommunity.com/sharedfiles/filedetails/?id=1", "3", "2", "001"})
	if err != nil || !reflect.DeepEqual(ids, []uint64{3, 1, 2}) {
		t.Errorf("ParseIDs = %v, %v", ids, err)
	}
	if _, err := ParseIDs([]string{"1", "x"}); !errors.Is(err, ErrBadRef) || !strings.Contains(err.Error(), `"x"`) {
		t.Errorf("bad ref error = %v", err)
	}
}

// realDetails is shaped like a real GetPublishedFileDetails reply (one L4D2
// item, one removed item), with file_size as a string as the API sends it.
const realDetails = `{
	"response": {
		"result": 1,
		"resultcount": 2,
		"publishedfiledetails": [
			{
				"publishedfileid": "121275675",
				"result": 1,
				"creator": "76561197993318283",
				"creator_app_id": 550,
				"consumer_app_id": 550,
				"filename": "myl4d2addons/diescraper.vpk",
				"file_size": "184549376",
				"file_url": "http://cloud-3.steamusercontent.com/ugc/1/ABCDEF/",
				"hcontent_file": "1234567890",
				"preview_url": "https://steamuserimages-a.akamaihd.net/ugc/2/",
				"hcontent_preview": "987654321",
				"title": "Diescraper Redux",
				"description": "A campaign.",
				"time_created": 1358294400,
				"time_updated": 1409356800,
				"visibility": 0,
				"banned": 0,
				"ban_reason": "",
				"subscriptions": 123456,
				"favorited": 1000,
				"lifetime_subscriptions": 200000,
				"lifetime_favorited": 1200,
				"views": 300000,
				"tags": [{"tag": "Campaigns"}, {"tag": "Co-op"}]
			},
			{"publishedfileid": "5", "result": 9}
		]
	}
}`

func TestDecodeDetails(t *testing.T) {
	got, err := DecodeDetails(strings.NewReader(realDetails))
	if err != nil {
		t.Fatal(err)
	}
	want := []Details{
		{ID: 121275675, Result: 1, ConsumerAppID: 550, Title: "Diescraper Redux", Filename: "myl4d2addons/diescraper.vpk",
			FileSize: 184549376, FileURL: "http://cloud-3.steamusercontent.com/ugc/1/ABCDEF/",
			PreviewURL: "https://steamuserimages-a.akamaihd.net/ugc/2/", TimeUpdated: 1409356800},
		{ID: 5, Result: 9},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if got[0].Revision() != "1409356800" || got[1].Available() {
		t.Error("Revision/Available wrong")
	}

	refused := func(why string) func(Details) bool {
		return func(d Details) bool {
			return strings.Contains(d.Refused, why) && !d.Available() && d.FileURL == "" && errors.Is(d.RefusedErr(), ErrRefusedItem)
		}
	}
	item := func(fields string) string {
		return `{"response":{"publishedfiledetails":[{"publishedfileid":"1","result":1,"consumer_app_id":550,"time_updated":5` + fields + `}]}}`
	}
	for _, tc := range []struct {
		name, body string
		ok         bool
		check      func(Details) bool
	}{
		{"file_size as number", item(`,"file_size":123`), true, func(d Details) bool { return d.FileSize == 123 }},
		{"banned as bool", item(`,"banned":true,"ban_reason":"x"`), true, func(d Details) bool { return d.Banned && d.BanReason == "x" }},
		{"banned as 1", item(`,"banned":1`), true, func(d Details) bool { return d.Banned }},
		{"unknown fields ignored", item(`,"new_field":{"a":[1,2]}`), true, nil},
		{"empty list", `{"response":{"result":1,"resultcount":0}}`, true, nil},
		{"app id as string", item(`,"creator_app_id":"550"`), true, nil},
		// encoding/json replaces invalid UTF-8 with U+FFFD.
		{"invalid UTF-8 replaced", item(`,"title":"a` + "\xff" + `"`), true, func(d Details) bool { return d.Title == "a\uFFFD" }},

		{"not JSON", `<html>`, false, nil},
		{"no response", `{"result":1}`, false, nil},
		{"trailing data", item(``) + `{}`, false, nil},
		{"id not a string of digits", `{"response":{"publishedfiledetails":[{"publishedfileid":"1x","result":1}]}}`, false, nil},
		{"id zero", `{"response":{"publishedfiledetails":[{"publishedfileid":"0","result":9}]}}`, false, nil},
		{"duplicate id", `{"response":{"publishedfiledetails":[{"publishedfileid":"1","result":9},{"publishedfileid":"1","result":9}]}}`, false, nil},
		{"float size", item(`,"file_size":1.5`), false, nil},
		{"size as object", item(`,"file_size":{}`), false, nil},
		{"banned as string", item(`,"banned":"yes"`), false, nil},
		{"title as number", item(`,"title":5`), false, nil},

		// A bad value refuses its item alone (Refused says why); the
		// reply is used.
		{"no result", `{"response":{"publishedfiledetails":[{"publishedfileid":"1"}]}}`, true, refused("no result")},
		{"no app id", `{"response":{"publishedfiledetails":[{"publishedfileid":"1","result":1,"time_updated":5}]}}`, true, refused("no consumer_app_id")},
		{"no time_updated", `{"response":{"publishedfiledetails":[{"publishedfileid":"1","result":1,"consumer_app_id":550}]}}`, true, refused("no valid time_updated")},
		{"negative size", item(`,"file_size":-1`), true, refused("file_size -1 out of range")},
		{"huge size", item(`,"file_size":"99999999999999"`), true, refused("out of range")},
		{"file_url file", item(`,"title":"T","file_url":"file:///etc/passwd"`), true, func(d Details) bool {
			return strings.Contains(d.Refused, `file_url "file:///etc/passwd" is not an http(s) URL`) && d.Title == "T" && d.FileURL == "" && !d.Available()
		}},
		{"file_url gopher", item(`,"file_url":"gopher://example.com/1"`), true, refused("not an http(s) URL")},
		{"file_url relative", item(`,"file_url":"/ugc/1"`), true, refused("not an http(s) URL")},
		{"title too long", item(`,"title":"` + strings.Repeat("a", maxTextLen+1) + `"`), true, func(d Details) bool {
			return strings.Contains(d.Refused, "title longer than") && d.Title == ""
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeDetails(strings.NewReader(tc.body))
			if tc.ok != (err == nil) {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrBadReply) {
				t.Errorf("err %v does not wrap ErrBadReply", err)
			}
			if tc.check != nil && (len(got) != 1 || !tc.check(got[0])) {
				t.Errorf("got %+v", got)
			}
		})
	}
}

func TestDecodeCollections(t *testing.T) {
	body := `{"response":{"result":1,"resultcount":2,"collectiondetails":[
		{"publishedfileid":"500","result":1,"children":[
			{"publishedfileid":"3","sortorder":3,"filetype":0},
			{"publishedfileid":"1","sortorder":1,"filetype":0},
			{"publishedfileid":"600","sortorder":2,"filetype":2},
			{"publishedfileid":"1","sortorder":4,"filetype":0}]},
		{"publishedfileid":"7","result":1}]}}`
	got, err := DecodeCollections(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	want := []Collection{
		{ID: 500, Result: 1, Children: []Child{{ID: 1}, {ID: 600, FileType: 2}, {ID: 3}}},
		{ID: 7, Result: 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	for _, bad := range []string{
		`{}`,
		`{"response":{"collectiondetails":[{"publishedfileid":"x","result":1}]}}`,
		`{"response":{"collectiondetails":[{"publishedfileid":"1"}]}}`,
		`{"response":{"collectiondetails":[{"publishedfileid":"1","result":1,"children":[{"publishedfileid":"-1"}]}]}}`,
	} {
		if _, err := DecodeCollections(strings.NewReader(bad)); !errors.Is(err, ErrBadReply) {
			t.Errorf("DecodeCollections(%s) err = %v", bad, err)
		}
	}
}

func TestClientBatchesAndErrors(t *testing.T) {
	var calls []int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		n, _ := strconv.Atoi(r.PostForm.Get("itemcount"))
		calls = append(calls, n)
		if r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" || r.Method != http.MethodPost {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		var sb strings.Builder
		sb.WriteString(`{"response":{"publishedfiledetails":[`)
		for i := range n {
			if i > 0 {
				sb.WriteString(",")
			}
			sb.WriteString(`{"publishedfileid":"` + r.PostForm.Get("publishedfileids["+strconv.Itoa(i)+"]") + `","result":9}`)
		}
		sb.WriteString(`]}}`)
		w.Write([]byte(sb.String()))
	}))
	defer srv.Close()
	c := NewClient(srv.URL+"/", nil)
	ids := make([]uint64, 250)
	for i := range ids {
		ids[i] = uint64(1000 - i)
	}
	got, err := c.Details(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(calls, []int{100, 100, 50}) {
		t.Errorf("batches = %v", calls)
	}
	for i, d := range got {
		if d.ID != ids[i] {
			t.Fatalf("result %d is item %d, want %d", i, d.ID, ids[i])
		}
	}

	for _, tc := range []struct {
		status    int
		body      string
		transient bool
	}{
		{503, "busy", true},
		{429, "slow down", true},
		{403, "forbidden", false},
		{200, `{"response":{"publishedfiledetails":[]}}`, false}, // the asked item is missing
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(tc.status)
			w.Write([]byte(tc.body))
		}))
		_, err := NewClient(srv.URL, nil).Details(context.Background(), []uint64{1})
		srv.Close()
		if err == nil || IsTransient(err) != tc.transient {
			t.Errorf("status %d: err = %v, transient %v", tc.status, err, IsTransient(err))
		}
	}
	// A server that is gone: transient.
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	if _, err := NewClient(dead.URL, nil).Details(context.Background(), []uint64{1}); !IsTransient(err) {
		t.Errorf("connection refused: err = %v, want transient", err)
	}
}

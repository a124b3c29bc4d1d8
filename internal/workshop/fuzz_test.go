package workshop

import (
	"bytes"
	"strconv"
	"testing"
	"unicode/utf8"
)

// FuzzDecodeDetails feeds arbitrary bytes to the details decoder: nothing may
// panic, and whatever it accepts must satisfy the checks callers rely on.
func FuzzDecodeDetails(f *testing.F) {
	for _, s := range []string{
		realDetails,
		`{"response":{"publishedfiledetails":[{"publishedfileid":"1","result":1,"consumer_app_id":550,"time_updated":5,"file_size":"10","banned":true}]}}`,
		`{"response":{"publishedfiledetails":[{"publishedfileid":"1","result":9}]}}`,
		`{"response":{}}`,
		`{"response":null}`,
		`[]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := DecodeDetails(bytes.NewReader(data))
		if err != nil {
			return
		}
		seen := map[uint64]bool{}
		for _, d := range got {
			if d.ID == 0 || d.ID > 1<<63-1 || seen[d.ID] {
				t.Fatalf("bad or duplicate id %d", d.ID)
			}
			seen[d.ID] = true
			if d.Refused != "" {
				if d.Available() || d.FileURL != "" || d.FileSize != 0 || d.Filename != "" || !textOK(d.Title) {
					t.Fatalf("refused item %d carries details: %+v", d.ID, d)
				}
				continue
			}
			if !d.Available() {
				if d.Title != "" || d.FileURL != "" || d.FileSize != 0 {
					t.Fatalf("unavailable item %d carries details", d.ID)
				}
				continue
			}
			if d.FileSize < 0 || d.FileSize > MaxFileSize || d.TimeUpdated < 0 || d.ConsumerAppID < 0 {
				t.Fatalf("item %d: out-of-range numbers %+v", d.ID, d)
			}
			for _, s := range []string{d.Title, d.Filename, d.FileURL, d.PreviewURL, d.BanReason} {
				if len(s) > maxTextLen || !utf8.ValidString(s) {
					t.Fatalf("item %d: bad text %q", d.ID, s)
				}
			}
			if _, err := strconv.ParseInt(d.Revision(), 10, 64); err != nil {
				t.Fatalf("item %d: revision %q", d.ID, d.Revision())
			}
		}
	})
}

// FuzzDecodeCollections checks the collection decoder the same way.
func FuzzDecodeCollections(f *testing.F) {
	for _, s := range []string{
		`{"response":{"collectiondetails":[{"publishedfileid":"500","result":1,"children":[{"publishedfileid":"3","sortorder":2,"filetype":0},{"publishedfileid":"1","sortorder":1,"filetype":2}]}]}}`,
		`{"response":{"collectiondetails":[{"publishedfileid":"7","result":9}]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := DecodeCollections(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, c := range got {
			if c.ID == 0 || len(c.Children) > maxChildren {
				t.Fatalf("collection %+v", c)
			}
			seen := map[uint64]bool{}
			for _, ch := range c.Children {
				if ch.ID == 0 || seen[ch.ID] {
					t.Fatalf("collection %d: bad or duplicate child %d", c.ID, ch.ID)
				}
				seen[ch.ID] = true
			}
		}
	})
}

// FuzzParseID: nothing panics; an accepted ref yields an id in range whose
// decimal form parses back to the same id.
func FuzzParseID(f *testing.F) {
	for _, s := range []string{
		"123", "00042", "https://steamcommunity.com/sharedfiles/filedetails/?id=123",
		"https://www.steamcommunity.com/workshop/filedetails/?id=4&x=y", "steam://x", "-1",
		"https://steamcommunity.com/sharedfiles/filedetails/?id=1&id=2", "9223372036854775808",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseID(s)
		if err != nil {
			if id != 0 {
				t.Fatalf("ParseID(%q) returned %d with error %v", s, id, err)
			}
			return
		}
		if id == 0 || id > 1<<63-1 {
			t.Fatalf("ParseID(%q) = %d out of range", s, id)
		}
		again, err := ParseID(strconv.FormatUint(id, 10))
		if err != nil || again != id {
			t.Fatalf("round trip of %d: %d, %v", id, again, err)
		}
	})
}

package workshop

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
)

// ErrBadRef is returned (wrapped) by ParseID for input that is neither a
// Workshop item id nor a Workshop item URL.
var ErrBadRef = errors.New("not a Workshop item id or URL")

// maxRefLen bounds what ParseID looks at; real URLs are far shorter.
const maxRefLen = 2048

// ParseID reads a Workshop item or collection id from ref, which is either
// a decimal id ("123456789") or the item's Steam Community page:
//
//	https://steamcommunity.com/sharedfiles/filedetails/?id=123456789
//	https://steamcommunity.com/workshop/filedetails/?id=123456789
//
// (http or https, with or without "www.", other query parameters ignored).
// Anything else is refused with an error wrapping ErrBadRef. Ids are 1 to
// 2^63-1 so that they fit SQLite's INTEGER.
func ParseID(ref string) (uint64, error) {
	s := strings.TrimSpace(ref)
	if s == "" {
		return 0, fmt.Errorf("%w: empty", ErrBadRef)
	}
	if len(s) > maxRefLen {
		return 0, fmt.Errorf("%w: %d characters is too long", ErrBadRef, len(s))
	}
	if isDigits(s) {
		id, err := parseDecimalID(s)
		if err != nil {
			return 0, fmt.Errorf("%w: %q: %v", ErrBadRef, s, err)
		}
		return id, nil
	}
	id, err := parseItemURL(s)
	if err != nil {
		return 0, fmt.Errorf("%w: %q: %v", ErrBadRef, s, err)
	}
	return id, nil
}

// ParseIDs parses every ref with ParseID and returns the ids in order
// without duplicates. The first bad ref is the error.
func ParseIDs(refs []string) ([]uint64, error) {
	var ids []uint64
	seen := map[uint64]bool{}
	for _, r := range refs {
		id, err := ParseID(r)
		if err != nil {
			return nil, err
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseDecimalID parses s (digits only) as an id in 1..MaxInt64.
func parseDecimalID(s string) (uint64, error) {
	if !isDigits(s) {
		return 0, errors.New("an id is a decimal number")
	}
	id, err := strconv.ParseUint(s, 10, 64)
	if err != nil || id > math.MaxInt64 {
		return 0, errors.New("id out of range")
	}
	if id == 0 {
		return 0, errors.New("id 0 does not exist")
	}
	return id, nil
}

func parseItemURL(s string) (uint64, error) {
	u, err := url.Parse(s)
	if err != nil {
		return 0, errors.New("not a number and not a URL")
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		if u.Scheme == "" {
			return 0, errors.New("not a number; give the id or the full https://steamcommunity.com/sharedfiles/filedetails/?id=… address")
		}
		return 0, fmt.Errorf("scheme %q: want an https://steamcommunity.com address", u.Scheme)
	}
	if u.User != nil {
		return 0, errors.New("URL must not carry a user name")
	}
	host := strings.ToLower(u.Hostname())
	if host != "steamcommunity.com" && host != "www.steamcommunity.com" {
		return 0, fmt.Errorf("host %q: want steamcommunity.com", u.Hostname())
	}
	if p := u.Port(); p != "" {
		return 0, fmt.Errorf("unexpected port %q", p)
	}
	switch strings.TrimSuffix(u.Path, "/") {
	case "/sharedfiles/filedetails", "/workshop/filedetails":
	default:
		return 0, fmt.Errorf("path %q: want /sharedfiles/filedetails/?id=… or /workshop/filedetails/?id=…", u.Path)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return 0, fmt.Errorf("query: %v", err)
	}
	vals := q["id"]
	switch len(vals) {
	case 0:
		return 0, errors.New("no id= parameter")
	case 1:
	default:
		return 0, errors.New("more than one id= parameter")
	}
	return parseDecimalID(vals[0])
}

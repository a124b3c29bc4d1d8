package workshop

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// askErr is the error of a Web API call about ids, in the words of the
// person who added them: which items Steam was asked about (what, or
// whether they are collections when what is empty: every add asks that
// first, and an add of one item must not read as a collection's failure),
// where, and what to do when Steam could not be reached. err stays
// wrapped (ErrTransient, ErrBadReply).
func (c *Client) askErr(what string, ids []uint64, err error) error {
	items := itemsText(ids)
	q := "ask Steam for " + what + " " + items
	if what == "" {
		q = "ask Steam about " + items + " (whether it is an item or a collection)"
		if len(ids) > 1 {
			q = "ask Steam about " + items + " (whether they are items or collections)"
		}
	}
	host := c.base
	if u, perr := url.Parse(c.base); perr == nil && u.Host != "" {
		host = u.Host
	}
	switch {
	case errors.Is(err, ErrTransient):
		return fmt.Errorf("%s: Steam's Web API at %s did not answer: %w; check that this host reaches it (DNS, firewall, proxy), then add the items again", q, host, err)
	case errors.Is(err, ErrBadReply):
		return fmt.Errorf("%s: Steam's Web API at %s sent a reply left4me cannot read: %w; try again later", q, host, err)
	}
	return fmt.Errorf("%s at %s: %w", q, host, err)
}

// itemsText names Workshop items: "Workshop item 123", "Workshop items 1,
// 2 and 3", the first five of a longer list and how many more.
func itemsText(ids []uint64) string {
	if len(ids) == 1 {
		return "Workshop item " + strconv.FormatUint(ids[0], 10)
	}
	var names []string
	for _, id := range ids[:min(len(ids), 5)] {
		names = append(names, strconv.FormatUint(id, 10))
	}
	if len(ids) > 5 {
		return fmt.Sprintf("Workshop items %s and %d more", strings.Join(names, ", "), len(ids)-5)
	}
	return "Workshop items " + strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

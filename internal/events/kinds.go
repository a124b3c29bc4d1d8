package events

import (
	"fmt"
	"slices"
	"strings"
)

// Kinds returns every event kind, in the order the panel's filter lists them.
func Kinds() []string {
	return []string{KindConnect, KindEntered, KindDisconnect, KindChat, KindTeamChat, KindMap, KindRCON, KindOther}
}

// ParseKinds reads a comma-separated list of event kinds (spaces and empty
// items ignored); nil for none. An unknown kind is an error naming it and
// the known ones.
func ParseKinds(raw string) ([]string, error) {
	known := Kinds()
	var out []string
	for k := range strings.SplitSeq(raw, ",") {
		k = strings.TrimSpace(k)
		if k == "" {
			continue
		}
		if !slices.Contains(known, k) {
			return nil, fmt.Errorf("%q is not an event kind; use one or more of %s, separated by commas", k, strings.Join(known, ", "))
		}
		out = append(out, k)
	}
	return out, nil
}

package workshop

import (
	"context"
	"net"
	"strings"
	"testing"
)

// TestAddOneItemSteamUnreachable adds one Workshop item while Steam's Web
// API cannot be reached: the error names that item and says what to do,
// and does not read as a collection's failure (it used to begin
// "workshop collection details").
func TestAddOneItemSteamUnreachable(t *testing.T) {
	f := newFixture(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there now: connection refused
	f.svc = NewService(Config{Root: f.root, API: NewClient(dead, nil), Retry: fastRetry}, f.st)
	_, err = f.svc.Add(context.Background(), "maps", []string{"1234567"}, &recorder{})
	if err == nil {
		t.Fatal("Add succeeded with Steam unreachable")
	}
	msg := err.Error()
	for _, want := range []string{"Workshop item 1234567", "did not answer", "check that this host reaches it", strings.TrimPrefix(dead, "http://")} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "collection details") {
		t.Errorf("error %q reads as a collection's failure", msg)
	}
	if !IsTransient(err) {
		t.Errorf("error %q is no longer transient (the job would not retry it)", msg)
	}
}

func TestItemsText(t *testing.T) {
	for _, tt := range []struct {
		ids  []uint64
		want string
	}{
		{[]uint64{7}, "Workshop item 7"},
		{[]uint64{1, 2}, "Workshop items 1 and 2"},
		{[]uint64{1, 2, 3, 4, 5, 6, 7}, "Workshop items 1, 2, 3, 4, 5 and 2 more"},
	} {
		if got := itemsText(tt.ids); got != tt.want {
			t.Errorf("itemsText(%v) = %q, want %q", tt.ids, got, tt.want)
		}
	}
}

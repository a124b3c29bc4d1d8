package instance

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestFieldErrorsNameTheField: every refusal of bad input by Create, Update
// and SetServerCfg is a FieldError naming the field (the form and JSON
// key), is ErrInvalid, and keeps its specific sentinel where it has one.
func TestFieldErrorsNameTheField(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.svc.Create(ctx, Spec{Name: "taken", OwnerID: f.owner, Port: 27015}); err != nil {
		t.Fatal(err)
	}
	long := strings.Split(strings.Repeat("+x ", MaxArgsLen/3+1), " ")
	port := func(p int) *int { return &p }
	list := func(l ...string) *[]string { return &l }
	tests := []struct {
		name  string
		call  func() error
		field string
		also  error // a sentinel the error must also be, besides ErrInvalid
	}{
		{"create: bad name", func() error { _, err := f.svc.Create(ctx, Spec{Name: "Bad Name", OwnerID: f.owner}); return err }, FieldName, nil},
		{"create: taken name", func() error { _, err := f.svc.Create(ctx, Spec{Name: "taken", OwnerID: f.owner}); return err }, FieldName, ErrExists},
		{"create: no owner", func() error { _, err := f.svc.Create(ctx, Spec{Name: "x"}); return err }, FieldOwner, nil},
		{"create: port 80 outside the range", func() error { _, err := f.svc.Create(ctx, Spec{Name: "x", OwnerID: f.owner, Port: 80}); return err }, FieldPort, nil},
		{"create: port not a port", func() error { _, err := f.svc.Create(ctx, Spec{Name: "x", OwnerID: f.owner, Port: 70000}); return err }, FieldPort, nil},
		{"create: port of another", func() error { _, err := f.svc.Create(ctx, Spec{Name: "x", OwnerID: f.owner, Port: 27016}); return err }, FieldPort, ErrPortUsed},
		{"create: missing layer", func() error {
			_, err := f.svc.Create(ctx, Spec{Name: "x", OwnerID: f.owner, Layers: []string{"nosuch"}})
			return err
		}, FieldLayers, ErrNoLayer},
		{"create: bad layer id", func() error {
			_, err := f.svc.Create(ctx, Spec{Name: "x", OwnerID: f.owner, Layers: []string{"../x"}})
			return err
		}, FieldLayers, nil},
		{"create: managed arg", func() error {
			_, err := f.svc.Create(ctx, Spec{Name: "x", OwnerID: f.owner, Args: []string{"-port", "1"}})
			return err
		}, FieldArgs, nil},
		{"create: args too long", func() error { _, err := f.svc.Create(ctx, Spec{Name: "x", OwnerID: f.owner, Args: long}); return err }, FieldArgs, nil},
		{"create: cfg with NUL", func() error {
			_, err := f.svc.Create(ctx, Spec{Name: "x", OwnerID: f.owner, ServerCfg: "a\x00"})
			return err
		}, FieldServerCfg, nil},
		{"update: port 0", func() error { _, err := f.svc.Update(ctx, "taken", Update{Port: port(0)}); return err }, FieldPort, nil},
		{"update: port outside the range", func() error { _, err := f.svc.Update(ctx, "taken", Update{Port: port(1024)}); return err }, FieldPort, nil},
		{"update: layer twice", func() error { _, err := f.svc.Update(ctx, "taken", Update{Layers: list("maps", "maps")}); return err }, FieldLayers, nil},
		{"update: args too long", func() error { _, err := f.svc.Update(ctx, "taken", Update{Args: &long}); return err }, FieldArgs, nil},
		{"cfg: too large", func() error { return f.svc.SetServerCfg(ctx, "taken", strings.Repeat("a", MaxServerCfg+1)) }, FieldServerCfg, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field {
				t.Fatalf("err = %v, want a FieldError for %q", err, tt.field)
			}
			if !errors.Is(err, ErrInvalid) || tt.also != nil && !errors.Is(err, tt.also) {
				t.Errorf("err = %v: want ErrInvalid and %v", err, tt.also)
			}
			if err.Error() != tt.field+": "+fe.Err.Error() || strings.HasPrefix(fe.Err.Error(), tt.field) {
				t.Errorf("message %q: want %q then a reason that does not repeat it", err, tt.field+": ")
			}
		})
	}
	f.assertAbsent(t, "x")
}

func TestParsePort(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int
		bad  bool
	}{
		{"", 0, false}, {"auto", 0, false}, {" 27015 ", 27015, false},
		{"27O15", 0, true}, {"-1", 0, true}, {"65536", 0, true},
	} {
		got, err := ParsePort(tt.in)
		var fe *FieldError
		if got != tt.want || (err != nil) != tt.bad || tt.bad && (!errors.As(err, &fe) || fe.Field != FieldPort) {
			t.Errorf("ParsePort(%q) = %d, %v", tt.in, got, err)
		}
	}
}

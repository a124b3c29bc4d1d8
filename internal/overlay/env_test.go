package overlay

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func envEqual(a, b Env) bool {
	return slices.Equal(a.LowerDirs, b.LowerDirs) && a.Port == b.Port && a.ClientPort == b.ClientPort && slices.Equal(a.Args, b.Args)
}

func TestEncodeGolden(t *testing.T) {
	e := Env{
		LowerDirs:  []string{"/var/lib/left4me/overlays/sm/3", "/var/lib/left4me/installations/7"},
		Port:       27015,
		ClientPort: 27016,
		Args:       []string{"+map", "c1m1_hotel", "+hostname", `Tom's "best" $erver \o/`, ""},
	}
	got, err := e.Encode()
	if err != nil {
		t.Fatal(err)
	}
	want := "# Written by left4me; edit through left4me, not by hand.\n" +
		`L4D2_LOWERDIRS="/var/lib/left4me/overlays/sm/3:/var/lib/left4me/installations/7"` + "\n" +
		`L4D2_PORT="27015"` + "\n" +
		`L4D2_CLIENT_PORT="27016"` + "\n" +
		`L4D2_ARGS="+map c1m1_hotel +hostname \"Tom's \\\"best\\\" \$erver \\\\o/\" \"\""` + "\n"
	if string(got) != want {
		t.Errorf("Encode:\ngot  %s\nwant %s", got, want)
	}
}

func TestEncodeParseRoundTrip(t *testing.T) {
	base := []string{"/r/installations/1"}
	tests := []struct {
		name string
		env  Env
	}{
		{"minimal", Env{LowerDirs: base, Port: 1}},
		{"max port", Env{LowerDirs: base, Port: 65535}},
		{"client port", Env{LowerDirs: base, Port: 27015, ClientPort: 27016}},
		{"max client port", Env{LowerDirs: base, Port: 1, ClientPort: 65535}},
		{"plain args", Env{LowerDirs: base, Port: 27015, Args: []string{"+map", "c2m1_highway", "-tickrate", "100"}}},
		{"spaces", Env{LowerDirs: base, Port: 27015, Args: []string{"+hostname", "My Server  Two"}}},
		{"quotes", Env{LowerDirs: base, Port: 27015, Args: []string{`it's`, `"quoted"`, `'single'`}}},
		{"backslashes", Env{LowerDirs: base, Port: 27015, Args: []string{`\`, `a\b`, `\\\"`, `end\`}}},
		{"shell specials", Env{LowerDirs: base, Port: 27015, Args: []string{"$HOME", "${X}", "`id`", "%i", "#x", ";y", "a=b"}}},
		{"empty args", Env{LowerDirs: base, Port: 27015, Args: []string{"", "x", ""}}},
		{"unicode", Env{LowerDirs: []string{"/r/overlays/ünï/1", "/r/installations/ß"}, Port: 27015, Args: []string{"héllo wörld", "日本"}}},
		{"layer with spaces and quotes", Env{LowerDirs: []string{`/r/overlays/a b/"x'`, "/r/installations/$1"}, Port: 2}},
		{"500 layers", Env{LowerDirs: manyDirs(500), Port: 27015}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := tt.env.Encode()
			if err != nil {
				t.Fatal(err)
			}
			got, err := ParseEnv(data)
			if err != nil {
				t.Fatalf("ParseEnv(%q): %v", data, err)
			}
			if !envEqual(got, tt.env) {
				t.Errorf("round trip:\ngot  %#v\nwant %#v", got, tt.env)
			}
		})
	}
}

func manyDirs(n int) []string {
	d := make([]string, n)
	for i := range d {
		d[i] = "/r/overlays/l" + strconv.Itoa(i) + "/1"
	}
	d[n-1] = "/r/installations/1"
	return d
}

// TestParseEnvSystemdSyntax pins how the EnvironmentFile= syntax reads,
// following systemd v252's parse_env_file_internal.
func TestParseEnvSystemdSyntax(t *testing.T) {
	const l = "L4D2_LOWERDIRS=/r/installations/1\nL4D2_PORT=27015\n"
	tests := []struct {
		name string
		file string
		args []string
	}{
		{"unquoted", l + "L4D2_ARGS=+map c1m1_hotel\n", []string{"+map", "c1m1_hotel"}},
		{"no final newline", l + "L4D2_ARGS=+map c1m1_hotel", []string{"+map", "c1m1_hotel"}},
		{"trailing whitespace chomped", l + "L4D2_ARGS=a b   \t\n", []string{"a", "b"}},
		{"leading whitespace skipped", l + "L4D2_ARGS=   \t a\n", []string{"a"}},
		{"whitespace around key", l + "  L4D2_ARGS \t=a\n", []string{"a"}},
		{"single quotes literal", l + `L4D2_ARGS='"a b" \x'` + "\n", []string{"a b", "x"}},
		{"double quotes escapes", l + `L4D2_ARGS="\"a b\" \\\\ \$X \` + "`" + `"` + "\n", []string{"a b", `\`, "$X", "`"}},
		{"unquoted escapes", l + `L4D2_ARGS=\"a\ b\"` + "\n", []string{"a b"}},
		{"quoted then glued", l + `L4D2_ARGS="a" 'b'c` + "\n", []string{"abc"}},
		{"quotes literal once unquoted", l + `L4D2_ARGS=x'a b'` + "\n", []string{"xa b"}},
		{"hash inside value", l + "L4D2_ARGS=a #b\n", []string{"a", "#b"}},
		{"continuation unquoted", l + "L4D2_ARGS=a\\\nb\n", []string{"ab"}},
		{"continuation double quoted", l + "L4D2_ARGS=\"a \\\nb\"\n", []string{"a", "b"}},
		{"comments and blanks", "# c\n; c2\n\n  # indented\n" + l + "L4D2_ARGS=z\n", []string{"z"}},
		{"comment with inner backslash", "# a \\ b\n" + l, nil},
		{"empty", l + "L4D2_ARGS=\n", nil},
		{"absent", l, nil},
		{"only spaces", l + `L4D2_ARGS="   "` + "\n", nil},
		{"empty word", l + `L4D2_ARGS='""'` + "\n", []string{""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := ParseEnv([]byte(tt.file))
			if err != nil {
				t.Fatalf("ParseEnv: %v", err)
			}
			if !slices.Equal(e.Args, tt.args) || e.Port != 27015 || !slices.Equal(e.LowerDirs, []string{"/r/installations/1"}) {
				t.Errorf("got %#v, want args %q", e, tt.args)
			}
		})
	}
}

// TestSplitArgs pins the word splitting of an unbraced $VAR in ExecStart=
// (systemd: strv_split_full(…, WHITESPACE, EXTRACT_RELAX|EXTRACT_UNQUOTE)).
func TestSplitArgs(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  string
	}{
		{in: "", want: nil},
		{in: "   ", want: nil},
		{in: "a", want: []string{"a"}},
		{in: "  a \t b  ", want: []string{"a", "b"}},
		{in: `"a b"`, want: []string{"a b"}},
		{in: `'a b'`, want: []string{"a b"}},
		{in: `a"b c"d`, want: []string{"ab cd"}},
		{in: `'a\'b'`, want: []string{"a'b"}}, // a backslash escapes inside single quotes too
		{in: `"a\"b"`, want: []string{`a"b`}},
		{in: `a\ b`, want: []string{"a b"}},
		{in: `\\`, want: []string{`\`}},
		{in: `\n`, want: []string{"n"}}, // no C escapes
		{in: `""`, want: []string{""}},
		{in: `a "" b`, want: []string{"a", "", "b"}},
		{in: `"'"`, want: []string{"'"}},
		{in: `$X`, want: []string{"$X"}},
		{in: `"a`, err: "unbalanced"},
		{in: `'a`, err: "unbalanced"},
		{in: `a\`, err: "trailing backslash"},
	}
	for _, tt := range tests {
		got, err := SplitArgs(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("SplitArgs(%q) error = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("SplitArgs(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestParseEnvRefusals(t *testing.T) {
	const (
		lower = "L4D2_LOWERDIRS=/r/installations/1\n"
		port  = "L4D2_PORT=27015\n"
		l     = lower + port
	)
	tests := []struct {
		name, file, want string
	}{
		{"NUL", l + "L4D2_ARGS=a\x00b\n", "NUL"},
		{"carriage return", l + "L4D2_ARGS=a\r\n", "carriage return"},
		{"invalid UTF-8", l + "L4D2_ARGS=\xff\n", "UTF-8"},
		{"newline in single quotes", l + "L4D2_ARGS='a\nb'\n", "newline"},
		{"newline in double quotes", l + "L4D2_ARGS=\"a\nb\"\n", "newline"},
		{"tab in value", l + "L4D2_ARGS=\"a\tb\"\n", "control character"},
		{"unbalanced double quote", l + "L4D2_ARGS=\"a b\n", "unbalanced quote"},
		{"unbalanced single quote", l + "L4D2_ARGS='a b", "unbalanced quote"},
		{"trailing backslash", l + "L4D2_ARGS=a\\", "ends in a backslash"},
		{"unbalanced quote in args", l + `L4D2_ARGS='"a b'` + "\n", "unbalanced"},
		{"trailing backslash in args", l + `L4D2_ARGS='a\'` + "\n", "trailing backslash"},
		{"unknown key", l + "L4D2_MAP=x\n", `unknown key "L4D2_MAP"`},
		{"export prefix", "export " + l, "unknown key"},
		{"repeated key", l + port, "already set on line 2"},
		{"no equals", l + "L4D2_ARGS\n", "has no '='"},
		{"no equals at end", l + "L4D2_ARGS", "has no '='"},
		{"missing lowerdirs", port, "L4D2_LOWERDIRS is missing"},
		{"missing port", lower, "L4D2_PORT is missing"},
		{"port zero", lower + "L4D2_PORT=0\n", "L4D2_PORT"},
		{"port too big", lower + "L4D2_PORT=65536\n", "L4D2_PORT"},
		{"port leading zero", lower + "L4D2_PORT=027015\n", "L4D2_PORT"},
		{"port sign", lower + "L4D2_PORT=+27015\n", "L4D2_PORT"},
		{"port empty", lower + "L4D2_PORT=\n", "L4D2_PORT"},
		{"port words", lower + "L4D2_PORT=27015 1\n", "L4D2_PORT"},
		{"client port zero", l + "L4D2_CLIENT_PORT=0\n", "L4D2_CLIENT_PORT \"0\""},
		{"client port too big", l + "L4D2_CLIENT_PORT=65536\n", "L4D2_CLIENT_PORT"},
		{"client port leading zero", l + "L4D2_CLIENT_PORT=027016\n", "L4D2_CLIENT_PORT"},
		{"client port sign", l + "L4D2_CLIENT_PORT=-1\n", "L4D2_CLIENT_PORT"},
		{"client port empty", l + "L4D2_CLIENT_PORT=\n", "L4D2_CLIENT_PORT"},
		{"client port words", l + "L4D2_CLIENT_PORT=27016 27017\n", "L4D2_CLIENT_PORT"},
		{"client port twice", l + "L4D2_CLIENT_PORT=27016\nL4D2_CLIENT_PORT=27017\n", "already set"},
		{"client port is game port", l + "L4D2_CLIENT_PORT=27015\n", "must differ from L4D2_PORT"},
		{"comment ending in backslash", "# x \\\n" + l, "comment ends in a backslash"},
		{"unknown escape in double quotes", l + `L4D2_ARGS="\a"` + "\n", "backslash before 'a'"},
		{"lowerdirs empty", "L4D2_LOWERDIRS=\n" + port, "L4D2_LOWERDIRS entry 1 is empty"},
		{"lowerdirs empty entry", "L4D2_LOWERDIRS=/r/overlays/a/1::/r/installations/1\n" + port, "entry 2 is empty"},
		{"lowerdirs leading colon", "L4D2_LOWERDIRS=:/r/installations/1\n" + port, "entry 1 is empty"},
		{"lowerdirs trailing colon", "L4D2_LOWERDIRS=/r/installations/1:\n" + port, "entry 2 is empty"},
		{"lowerdirs relative", "L4D2_LOWERDIRS=installations/1\n" + port, "not an absolute path"},
		{"lowerdirs unclean", "L4D2_LOWERDIRS=/r/overlays/../installations/1\n" + port, "not a clean path"},
		{"lowerdirs trailing slash", "L4D2_LOWERDIRS=/r/installations/1/\n" + port, "not a clean path"},
		{"lowerdirs duplicate", "L4D2_LOWERDIRS=/r/overlays/a/1:/r/installations/1:/r/overlays/a/1\n" + port, "entry 3 \"/r/overlays/a/1\" duplicates entry 1"},
		{"lowerdirs too many", "L4D2_LOWERDIRS=" + strings.Join(manyDirs(501), ":") + "\n" + port, "has 501 layers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseEnv([]byte(tt.file))
			if err == nil {
				t.Fatalf("ParseEnv(%q) succeeded, want error containing %q", tt.file, tt.want)
			}
			if !errors.Is(err, ErrEnv) {
				t.Errorf("error %v does not wrap ErrEnv", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestEncodeRefusals(t *testing.T) {
	base := []string{"/r/installations/1"}
	tests := []struct {
		name string
		env  Env
		want string
	}{
		{"no layers", Env{Port: 1}, "at least the base installation"},
		{"colon in layer", Env{LowerDirs: []string{"/r/a:b", "/r/installations/1"}, Port: 1}, "contains ':'"},
		{"newline in layer", Env{LowerDirs: []string{"/r/a\nb"}, Port: 1}, "newline"},
		{"port zero", Env{LowerDirs: base}, "between 1 and 65535"},
		{"port negative", Env{LowerDirs: base, Port: -5}, "between 1 and 65535"},
		{"client port negative", Env{LowerDirs: base, Port: 1, ClientPort: -1}, "L4D2_CLIENT_PORT -1: must be between 1 and 65535"},
		{"client port too big", Env{LowerDirs: base, Port: 1, ClientPort: 65536}, "L4D2_CLIENT_PORT 65536"},
		{"client port is game port", Env{LowerDirs: base, Port: 7, ClientPort: 7}, "must differ"},
		{"newline in arg", Env{LowerDirs: base, Port: 1, Args: []string{"a\nb"}}, "argument 1 \"a\\nb\": contains a newline"},
		{"NUL in arg", Env{LowerDirs: base, Port: 1, Args: []string{"ok", "a\x00"}}, "argument 2"},
		{"tab in arg", Env{LowerDirs: base, Port: 1, Args: []string{"a\tb"}}, "control character"},
		{"DEL in arg", Env{LowerDirs: base, Port: 1, Args: []string{"a\x7f"}}, "control character"},
		{"invalid UTF-8 arg", Env{LowerDirs: base, Port: 1, Args: []string{"\xc3"}}, "UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.env.Encode()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Encode error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestWriteEnvFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "instance.env")
	env := Env{LowerDirs: []string{"/r/installations/1"}, Port: 27020, Args: []string{"+map", "c5m1_waterfront"}}
	if err := WriteEnvFile(path, env, -1, -1); err != nil {
		t.Fatal(err)
	}
	env.Port = 27021 // overwrite in place
	if err := WriteEnvFile(path, env, -1, -1); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o640 {
		t.Errorf("mode = %v, want 0640", fi.Mode().Perm())
	}
	got, err := ReadEnvFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !envEqual(got, env) {
		t.Errorf("read back %#v, want %#v", got, env)
	}
	if err := WriteEnvFile(path, Env{Port: 1}, -1, -1); err == nil {
		t.Error("WriteEnvFile of an invalid Env succeeded")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only instance.env (temp files left behind?)", len(entries))
	}
	if got, _ := ReadEnvFile(path); got.Port != 27021 {
		t.Errorf("failed write changed the file: port %d", got.Port)
	}
}

func TestWriteEnvFileOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: chown to another user")
	}
	path := filepath.Join(t.TempDir(), "instance.env")
	if err := WriteEnvFile(path, Env{LowerDirs: []string{"/r/installations/1"}, Port: 1}, 4321, 4322); err != nil {
		t.Fatal(err)
	}
	var st = statT(t, path)
	if st.Uid != 4321 || st.Gid != 4322 {
		t.Errorf("owner %d:%d, want 4321:4322", st.Uid, st.Gid)
	}
}

// FuzzParseEnv checks the round-trip property: whatever ParseEnv accepts,
// Encode writes in a form that parses to the same Env (and encodes to the
// same bytes again).
func FuzzParseEnv(f *testing.F) {
	f.Add([]byte("L4D2_LOWERDIRS=/r/installations/1\nL4D2_PORT=27015\nL4D2_ARGS=+map c1m1_hotel\n"))
	f.Add([]byte("# c\nL4D2_LOWERDIRS=\"/r/overlays/a/1:/r/installations/1\"\nL4D2_PORT='1'\nL4D2_ARGS='\"a b\" c\\'d'\n"))
	f.Add([]byte("L4D2_PORT=2\nL4D2_LOWERDIRS=/x\\\n/y\nL4D2_ARGS=\"\\$\\`\\\\\"\n"))
	f.Add([]byte("L4D2_LOWERDIRS=/r/installations/1\nL4D2_PORT=27015\nL4D2_CLIENT_PORT=\"27016\"\n"))
	f.Add([]byte("L4D2_LOWERDIRS=/r/installations/1\nL4D2_PORT=27015\nL4D2_CLIENT_PORT=27015\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := ParseEnv(data)
		if err != nil {
			return
		}
		enc, err := e.Encode()
		if err != nil {
			t.Fatalf("ParseEnv accepted %q as %#v but Encode refuses it: %v", data, e, err)
		}
		e2, err := ParseEnv(enc)
		if err != nil {
			t.Fatalf("ParseEnv(Encode(%#v)) = %v; encoded %q", e, err, enc)
		}
		if !envEqual(e, e2) {
			t.Fatalf("round trip changed %#v into %#v (encoded %q)", e, e2, enc)
		}
		enc2, _ := e2.Encode()
		if string(enc) != string(enc2) {
			t.Fatalf("Encode is not stable: %q vs %q", enc, enc2)
		}
	})
}

// FuzzArgs checks that JoinArgs/SplitArgs round-trip any valid argument
// list (arguments separated by \x00 in the fuzz input).
func FuzzArgs(f *testing.F) {
	f.Add("+map\x00c1m1_hotel")
	f.Add("a b\x00\x00'\"\\")
	f.Fuzz(func(t *testing.T, s string) {
		args := strings.Split(s, "\x00")
		env := Env{LowerDirs: []string{"/r/installations/1"}, Port: 1, Args: args}
		if env.Validate() != nil {
			return
		}
		got, err := SplitArgs(JoinArgs(args))
		if err != nil || !slices.Equal(got, args) {
			t.Fatalf("SplitArgs(JoinArgs(%q)) = %q, %v", args, got, err)
		}
	})
}

package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The man pages are generated from the command table, as the README's
// command list is: `make deb` writes them with
//
//	go test -run TestManPages ./cmd/left4me -args -man-dir DIR -man-version V
//
// (left4me.1 and one page per command, left4me-instance-create.1 and so on).
var (
	manDir     = flag.String("man-dir", "", "write the man pages generated from the command table into this directory")
	manVersion = flag.String("man-version", "", "the version the man pages name")
)

// manPageName is a command's page: "left4me-instance-create".
func manPageName(c *Command) string { return strings.ReplaceAll(c.Path(), " ", "-") }

// roff escapes text for a roff line: backslashes, and a line that would
// start with a control character.
func roff(text string) string {
	text = strings.ReplaceAll(text, `\`, `\e`)
	text = strings.ReplaceAll(text, "-", `\-`)
	var b strings.Builder
	for i, l := range strings.Split(text, "\n") {
		if i > 0 {
			b.WriteByte('\n')
		}
		if strings.HasPrefix(l, ".") || strings.HasPrefix(l, "'") {
			b.WriteString(`\&`)
		}
		b.WriteString(l)
	}
	return b.String()
}

// writeManPage writes the man page of c in roff (man(7) macros).
func writeManPage(w io.Writer, c *Command, version string) error {
	name := manPageName(c)
	fmt.Fprintf(w, ".\\\" Generated from cmd/left4me/commands.go by TestManPages; do not edit.\n")
	fmt.Fprintf(w, ".TH %s 1 \"\" \"left4me %s\" \"left4me manual\"\n", strings.ToUpper(name), roff(version))
	fmt.Fprintf(w, ".SH NAME\n%s \\- %s\n", roff(name), roff(c.Short))
	fmt.Fprintf(w, ".SH SYNOPSIS\n.B %s\n", roff(c.Path()))
	if rest := strings.TrimPrefix(c.Usage(), c.Path()); strings.TrimSpace(rest) != "" {
		fmt.Fprintf(w, "%s\n", roff(strings.TrimSpace(rest)))
	}
	fmt.Fprintf(w, ".SH DESCRIPTION\n%s\n", roff(sentence(c.Short)))
	if c.Long != "" {
		fmt.Fprintf(w, ".PP\n%s\n", roff(c.Long))
	}
	if c.parent == nil {
		fmt.Fprintf(w, ".PP\n%s\n", roff(`Flags may come before or after the other arguments; "--" ends them. `+
			`"left4me help COMMAND [VERB]" (or "--help" after a command) prints the help of a command.`))
		fmt.Fprintf(w, ".SH EXIT STATUS\n0 on success, 1 when the command failed, 2 on bad usage.\n")
	}
	if len(c.Commands) > 0 {
		fmt.Fprintf(w, ".SH COMMANDS\n")
		for _, sub := range c.Commands {
			fmt.Fprintf(w, ".TP\n.B %s\n%s\n", roff(strings.TrimPrefix(sub.Usage(), c.Path()+" ")), roff(sentence(sub.Short)))
		}
	}
	fs, err := c.flags()
	if err != nil {
		return err
	}
	if fs != nil && hasFlags(fs) {
		fmt.Fprintf(w, ".SH OPTIONS\n")
		fs.VisitAll(func(f *flag.Flag) {
			kind, usage := flag.UnquoteUsage(f)
			if kind == "value" {
				kind = strings.ToUpper(f.Name)
			}
			head := `\fB` + roff(flagName(f)) + `\fR`
			if !isBoolFlag(f) {
				head += ` \fI` + roff(kind) + `\fR`
			}
			if !slices.Contains([]string{"", "0", "false", "0s"}, f.DefValue) {
				usage += " (default " + f.DefValue + ")"
			}
			fmt.Fprintf(w, ".TP\n%s\n%s\n", head, roff(usage))
		})
	}
	if c.parent == nil {
		fmt.Fprintf(w, ".SH FILES\n.TP\n.I /etc/left4me/host.env\n%s\n.TP\n.I /etc/left4me/web.env\n%s\n.TP\n.I /var/lib/left4me\n%s\n",
			roff("The state root and the journal namespace, read by every unit and by the command line."),
			roff("The panel's settings (listen address, port range, Steam Web API key)."),
			roff("The state root: the game, content layers, instances and the database."))
	}
	var see []string
	if c.parent != nil {
		see = append(see, manPageName(c.parent))
	}
	for _, sub := range c.Commands {
		see = append(see, manPageName(sub))
	}
	if len(see) > 0 {
		fmt.Fprintf(w, ".SH SEE ALSO\n")
		for i, s := range see {
			sep := ","
			if i == len(see)-1 {
				sep = ""
			}
			fmt.Fprintf(w, ".BR %s (1)%s\n", roff(s), sep)
		}
	}
	return nil
}

// sentence capitalises text and ends it with a full stop.
func sentence(text string) string {
	text = strings.TrimSpace(text)
	if text == "" {
		return text
	}
	text = strings.ToUpper(text[:1]) + text[1:]
	if !strings.HasSuffix(text, ".") && !strings.HasSuffix(text, ")") {
		text += "."
	}
	return text
}

// writeManPages writes one page per command of the table into dir.
func writeManPages(root *Command, dir, version string) ([]string, error) {
	var names []string
	var err error
	root.walk(func(c *Command) {
		if err != nil {
			return
		}
		var f *os.File
		path := filepath.Join(dir, manPageName(c)+".1")
		if f, err = os.Create(path); err != nil {
			return
		}
		if err = writeManPage(f, c, version); err != nil {
			f.Close()
			return
		}
		err = f.Close()
		names = append(names, path)
	})
	return names, err
}

// TestManPages generates the pages and checks them: one per command, each
// naming its command, its synopsis and every flag, and each one clean for
// man's own checker (groff warnings) when man is installed.
func TestManPages(t *testing.T) {
	dir, version := *manDir, *manVersion
	if dir == "" {
		dir = t.TempDir()
	}
	if version == "" {
		version = "test"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	root := commandTable()
	pages, err := writeManPages(root, dir, version)
	if err != nil {
		t.Fatalf("write man pages: %v", err)
	}
	n := 0
	root.walk(func(*Command) { n++ })
	if len(pages) != n {
		t.Fatalf("%d pages for %d commands", len(pages), n)
	}
	root.walk(func(c *Command) {
		b, err := os.ReadFile(filepath.Join(dir, manPageName(c)+".1"))
		if err != nil {
			t.Errorf("%s: no page: %v", c.Path(), err)
			return
		}
		page := string(b)
		wants := []string{".TH " + strings.ToUpper(manPageName(c)) + " 1", roff(manPageName(c)) + ` \- `, ".B " + roff(c.Path())}
		if fs, _ := c.flags(); fs != nil {
			fs.VisitAll(func(f *flag.Flag) { wants = append(wants, `\fB`+roff(flagName(f))+`\fR`) })
		}
		for _, sub := range c.Commands {
			wants = append(wants, ".BR "+roff(manPageName(sub))+" (1)")
		}
		for _, want := range wants {
			if !strings.Contains(page, want) {
				t.Errorf("%s: the page lacks %q:\n%s", c.Path(), want, page)
			}
		}
	})
	if _, err := exec.LookPath("man"); err != nil {
		t.Logf("man is not installed: the pages' roff is not checked")
		return
	}
	for _, p := range pages {
		cmd := exec.Command("man", "--warnings", "-E", "UTF-8", "-l", p)
		cmd.Env = append(os.Environ(), "MANWIDTH=80", "MAN_KEEP_STDERR=1", "MANROFFSEQ=")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("man -l %s: %v\n%s", filepath.Base(p), err, out)
			continue
		}
		for _, l := range strings.Split(string(out), "\n") {
			if strings.Contains(l, "warning") || strings.Contains(l, "troff:") {
				t.Errorf("man -l %s: %s", filepath.Base(p), l)
			}
		}
	}
}

// The escaping keeps roff from reading text as requests.
func TestRoffEscapes(t *testing.T) {
	for in, want := range map[string]string{
		`a\b`:           `a\eb`,
		".exec x":       `\&.exec x`,
		"'quoted":       `\&'quoted`,
		"x\n.y":         "x\n\\&.y",
		"--flag":        `\-\-flag`,
		"plain words":   "plain words",
		"left4me-demo/": `left4me\-demo/`,
	} {
		if got := roff(in); got != want {
			t.Errorf("roff(%q) = %q, want %q", in, got, want)
		}
	}
}

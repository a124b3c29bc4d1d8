package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// envReads lists the calls in file that read the process environment: the
// os and syscall functions that do (however os is imported), and any
// function or method named getenv, Getenv, lookupEnv or environ (such as
// cliEnv's getenv and environ, which carry os.Getenv and os.Environ).
//
// A child started through os/exec that inherits the environment (a nil
// exec.Cmd.Env, or cmd.Environ() plus additions, as steamcmd.Direct and the
// go builds of the stand-in servers do) forwards it verbatim without
// reading it; that is not counted.
func envReads(fset *token.FileSet, f *ast.File) []string {
	pkgs := map[string]string{} // local name → import path, for os and syscall
	for _, im := range f.Imports {
		path, _ := strconv.Unquote(im.Path.Value)
		if path != "os" && path != "syscall" {
			continue
		}
		name := path
		if im.Name != nil {
			name = im.Name.Name
		}
		pkgs[name] = path
	}
	readers := map[string]bool{"Getenv": true, "LookupEnv": true, "Environ": true, "ExpandEnv": true}
	named := map[string]bool{"getenv": true, "lookupenv": true, "environ": true}
	var out []string
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		var name string
		switch fn := call.Fun.(type) {
		case *ast.Ident:
			name = fn.Name
		case *ast.SelectorExpr:
			name = fn.Sel.Name
			if x, ok := fn.X.(*ast.Ident); ok && pkgs[x.Name] != "" {
				if readers[name] {
					out = append(out, fset.Position(call.Pos()).String()+": "+pkgs[x.Name]+"."+name)
				}
				return true
			}
			if name == "Environ" {
				return true // exec.Cmd's: the child's inherited environment
			}
		}
		if named[strings.ToLower(name)] {
			out = append(out, fset.Position(call.Pos()).String()+": "+name)
		}
		return true
	})
	return out
}

func TestEnvReadsFindsEveryForm(t *testing.T) {
	for _, tc := range []struct {
		src  string
		want int
	}{
		{`import "os"; func f() { os.Getenv("X") }`, 1},
		{`import o "os"; func f() { _, _ = o.LookupEnv("X"); _ = o.Environ() }`, 2},
		{`import "syscall"; func f() { syscall.Getenv("X") }`, 1},
		{`func f(getenv func(string) string) { getenv("X") }`, 1},
		{`func f(e *env) { e.getenv("X"); e.Getenv("Y"); e.environ() }`, 3},
		{`import "os"; func f() { os.Exit(1) }`, 0},
		{`import "os/exec"; func f() { c := exec.Command("x"); c.Env = append(c.Environ(), "A=1") }`, 0},
		{`func f(getenv func(string) string) { g(getenv) }`, 0},
	} {
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, "x.go", "package p; "+tc.src, 0)
		if err != nil {
			t.Fatalf("%s: %v", tc.src, err)
		}
		if got := envReads(fset, f); len(got) != tc.want {
			t.Errorf("%s: found %q, want %d", tc.src, got, tc.want)
		}
	}
}

// TestNoEnvironmentReadsBelowCmd: no package other than the commands reads
// the environment (values are passed in from the commands'
// configuration), and left4me reads it only in config.go (Config) and
// main.go (the process supervisor's namespace child marker, and the
// environment handed to cliEnv).
func TestNoEnvironmentReadsBelowCmd(t *testing.T) {
	modRoot, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(modRoot, "go.mod")); err != nil {
		t.Fatalf("module root: %v", err)
	}
	allowedInLeft4me := []string{"config.go", "main.go"}
	fset := token.NewFileSet()
	files := 0
	err = filepath.WalkDir(modRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); n == "testdata" || n == "vendor" || (strings.HasPrefix(n, ".") && path != modRoot) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(modRoot, path)
		rel = filepath.ToSlash(rel)
		dir := filepath.ToSlash(filepath.Dir(rel))
		switch {
		case dir == "cmd/left4me":
			if slices.Contains(allowedInLeft4me, filepath.Base(rel)) {
				return nil
			}
		case strings.HasPrefix(rel, "cmd/"):
			return nil // the other commands read their own environment
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		files++
		for _, r := range envReads(fset, f) {
			t.Errorf("%s reads the environment; pass the value in from the command's Config", strings.TrimPrefix(r, modRoot+"/"))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 50 {
		t.Fatalf("checked only %d files under %s", files, modRoot)
	}
}

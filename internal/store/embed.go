package store

import (
	"io/fs"
)

// mustSub returns the migrations directory of the embedded tree. The path is
// a compile-time constant, so failure is a programming error caught by tests.
func mustSub(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err)
	}
	return sub
}

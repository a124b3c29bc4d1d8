package doctor

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// miniELF returns a minimal 64-bit little-endian ELF executable whose
// program headers have the given types (debug/elf parses it; nothing runs
// it).
func miniELF(progTypes ...uint32) []byte {
	var b bytes.Buffer
	le := binary.LittleEndian
	const ehsize, phentsize = 64, 56
	ident := [16]byte{0x7f, 'E', 'L', 'F', 2 /* 64-bit */, 1 /* LE */, 1 /* version */}
	b.Write(ident[:])
	binary.Write(&b, le, uint16(2))         // e_type EXEC
	binary.Write(&b, le, uint16(62))        // e_machine x86-64
	binary.Write(&b, le, uint32(1))         // e_version
	binary.Write(&b, le, uint64(0x400000))  // e_entry
	binary.Write(&b, le, uint64(ehsize))    // e_phoff
	binary.Write(&b, le, uint64(0))         // e_shoff
	binary.Write(&b, le, uint32(0))         // e_flags
	binary.Write(&b, le, uint16(ehsize))    // e_ehsize
	binary.Write(&b, le, uint16(phentsize)) // e_phentsize
	binary.Write(&b, le, uint16(len(progTypes)))
	binary.Write(&b, le, uint16(64)) // e_shentsize
	binary.Write(&b, le, uint16(0))  // e_shnum
	binary.Write(&b, le, uint16(0))  // e_shstrndx
	for _, pt := range progTypes {
		binary.Write(&b, le, pt)
		binary.Write(&b, le, uint32(5)) // flags R+X
		for range 6 {
			binary.Write(&b, le, uint64(0))
		}
	}
	return b.Bytes()
}

func writeHelper(t *testing.T, data []byte, mode os.FileMode) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "libexec")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "left4me-overlay")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return p
}

const (
	ptLoad   = 1
	ptInterp = 3
)

func TestCheckHelper(t *testing.T) {
	if os.Geteuid() != 0 {
		// Files made by the test belong to the test's user, and the
		// check wants root's.
		d := newDoctor(t)
		d.Config.Helper = writeHelper(t, miniELF(ptLoad), 0o755)
		expect(t, d.CheckHelper(context.Background()), "helper", Fail, "not root", "chown root:root")
		t.Skip("the other cases need root-owned files")
	}
	for _, tc := range []struct {
		name  string
		data  []byte
		mode  os.FileMode
		dir   os.FileMode
		want  Status
		words []string
	}{
		{"static", miniELF(ptLoad), 0o755, 0o755, OK, []string{"statically linked", "0755"}},
		{"dynamic", miniELF(ptInterp, ptLoad), 0o755, 0o755, Fail, []string{"dynamically linked", "PT_INTERP", "CGO_ENABLED=0"}},
		{"group-writable", miniELF(ptLoad), 0o775, 0o755, Fail, []string{"writable by group or others", "chmod 0755"}},
		{"not executable", miniELF(ptLoad), 0o644, 0o755, Fail, []string{"not executable"}},
		{"writable directory", miniELF(ptLoad), 0o755, 0o777, Fail, []string{"could replace the helper"}},
		{"not ELF", []byte("#!/bin/sh\n"), 0o755, 0o755, Fail, []string{"not an ELF executable"}},
		{"setuid", miniELF(ptLoad), 0o755 | os.ModeSetuid, 0o755, Warn, []string{"setuid", "no setuid bit"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDoctor(t)
			d.Config.Helper = writeHelper(t, tc.data, tc.mode)
			if err := os.Chmod(filepath.Dir(d.Config.Helper), tc.dir); err != nil {
				t.Fatal(err)
			}
			expect(t, d.CheckHelper(context.Background()), "helper", tc.want, tc.words...)
		})
	}
	t.Run("missing", func(t *testing.T) {
		d := newDoctor(t)
		d.Config.Helper = filepath.Join(t.TempDir(), "nope")
		expect(t, d.CheckHelper(context.Background()), "helper", Fail, "no such file", "make install")
	})
	t.Run("owned by someone else", func(t *testing.T) {
		d := newDoctor(t)
		d.Config.Helper = writeHelper(t, miniELF(ptLoad), 0o755)
		if err := os.Chown(d.Config.Helper, 4242, 4242); err != nil {
			t.Fatal(err)
		}
		expect(t, d.CheckHelper(context.Background()), "helper", Fail, "uid 4242", "chown root:root")
	})
}

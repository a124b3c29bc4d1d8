package main

import (
	"testing"

	"github.com/left4me/left4me/internal/overlay"
)

// BenchmarkHolders is the scan "umount" makes on every stop: one mount
// table per mount namespace of the host (here: this machine's real /proc).
func BenchmarkHolders(b *testing.B) {
	p := procFS{root: "/proc"}
	for b.Loop() {
		if _, err := p.holders("benchmark", ""); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadPlan is the validation "mount" does in PID 1's namespace:
// instance.env, the state root's ownership, every layer resolved.
func BenchmarkLoadPlan(b *testing.B) {
	r := newRoot(b)
	for b.Loop() {
		if _, err := overlay.Load(r, "srv"); err != nil {
			b.Fatal(err)
		}
	}
}

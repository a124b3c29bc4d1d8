package rcon

import (
	"errors"
	"testing"
)

func TestCheckOperator(t *testing.T) {
	for _, tc := range []struct {
		command string
		ok      bool
	}{
		{"changelevel c2m1_highway", true},
		{"say hello all", true},
		{"kick Ellis; say bye", true},
		{`"say" hi`, true},
		{"KICKID 3", true},
		{"status", false},
		{"say hi; quit", false},
		{"say hi\nexit", false},
		{`say "a;b"; rcon_password x`, false},
		{"sv_cheats 1", false},
	} {
		err := CheckOperator(tc.command)
		if (err == nil) != tc.ok {
			t.Errorf("CheckOperator(%q) = %v, want ok %v", tc.command, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrNotOperatorCommand) {
			t.Errorf("CheckOperator(%q): %v is not ErrNotOperatorCommand", tc.command, err)
		}
	}
}

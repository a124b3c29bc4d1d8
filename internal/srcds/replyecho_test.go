package srcds

import "testing"

func TestWithoutCommandEcho(t *testing.T) {
	echo := `L 11/30/2026 - 17:21:37: rcon from "127.0.0.1:51234": command "say hi"` + "\n"
	cases := []struct{ name, reply, command, want string }{
		{"only the echo", echo, "say hi", ""},
		{"output then the echo", "users\n0 users\n" + echo, "say hi", "users\n0 users\n"},
		{"another command's record stays", echo, "status", echo},
		{"a bare line stays", `rcon from "127.0.0.1:51234": command "say hi"` + "\n", "say hi", `rcon from "127.0.0.1:51234": command "say hi"` + "\n"},
		{"no echo", "hostname: x\n", "status", "hostname: x\n"},
		{"echo without a newline", echo[:len(echo)-1], "say hi", ""},
	}
	for _, c := range cases {
		if got := WithoutCommandEcho(c.reply, c.command); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}

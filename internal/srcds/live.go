package srcds

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
)

// AddLogAddress makes the server send its log to addr: "logaddress_add
// addr" then "log on". An address already in the server's list is fine.
//
// NOTE: srcds drops destinations in 127.0.0.0/8 without a word
// (docs/srcds.md §4); addr must be a non-loopback address of the host. AddLogAddress
// refuses a loopback addr so that mistake shows up as an error.
func (c *RCON) AddLogAddress(ctx context.Context, addr netip.AddrPort) error {
	if !addr.IsValid() || addr.Port() == 0 {
		return fmt.Errorf("rcon %s: logaddress_add: invalid address %q", c.addr, addr)
	}
	if addr.Addr().Unmap().IsLoopback() {
		return fmt.Errorf("rcon %s: logaddress_add %s: srcds drops loopback log destinations; announce a non-loopback address of this host", c.addr, addr)
	}
	return c.addLogAddress(ctx, addr)
}

// AddLogAddressUnchecked is AddLogAddress without the loopback check, for
// tests against fakesrcds with loopback logs allowed.
func (c *RCON) AddLogAddressUnchecked(ctx context.Context, addr netip.AddrPort) error {
	return c.addLogAddress(ctx, addr)
}

func (c *RCON) addLogAddress(ctx context.Context, addr netip.AddrPort) error {
	out, err := c.Exec(ctx, "logaddress_add "+addr.String())
	if err != nil {
		return err
	}
	if strings.Contains(out, "unparseable") || strings.Contains(out, "usage") {
		return fmt.Errorf("rcon %s: logaddress_add %s: server said %q", c.addr, addr, strings.TrimSpace(out))
	}
	if _, err := c.Exec(ctx, "log on"); err != nil {
		return err
	}
	return nil
}

package views

import (
	"net"
	"strconv"
)

// SetConnect fills the address players connect to: host (the host's
// public name or address, LEFT4ME_PUBLIC_HOST or its primary address) and
// the instance's game port. An empty host leaves them out.
func (v *Instance) SetConnect(host string) {
	if host == "" || v.Port == 0 {
		return
	}
	addr := net.JoinHostPort(host, strconv.Itoa(v.Port))
	v.Connect = addr
	v.SteamConnect = "steam://connect/" + addr
}

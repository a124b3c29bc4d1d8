package web

import (
	"html/template"
	"strings"
)

// SteamLink is the steam://connect/HOST:PORT link of the instance for the
// pages. html/template lets only http(s) and mailto links through, so the
// link is marked safe here, after checking that the address holds nothing
// but a host name or address and a port.
func (v instanceView) SteamLink() template.URL {
	if v.SteamConnect == "" || strings.Trim(v.Connect, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") != "" {
		return ""
	}
	return template.URL("steam://connect/" + v.Connect)
}

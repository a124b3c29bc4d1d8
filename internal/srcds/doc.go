// Package srcds holds the clients and parsers left4me uses to talk to a
// Source dedicated server (srcds, or the fakesrcds stand-in):
//
//   - Query: A2S_INFO and A2S_PLAYER over UDP (github.com/rumblefrog/go-a2s).
//   - Dial / RCON.Exec: RCON over TCP (github.com/gorcon/rcon for the
//     handshake and packet codec) with multi-packet replies collected by the
//     empty-RESPONSE_VALUE end marker.
//   - ParseStatus: the "status" command's output.
//   - RCON.AddLogAddress: "logaddress_add" + "log on", refusing loopback.
//   - SteamID64: a STEAM_X:Y:Z, [U:1:N] or decimal id as a 64-bit SteamID.
//   - ParseLogLine / ParseLogPacket and LogListener: the engine's UDP log
//     stream ("logaddress_add"), turned into typed events per instance.
//
// Protocol facts are in docs/srcds.md §2–4.
package srcds

// Package fakesrcds is a stand-in for the Left 4 Dead 2 dedicated server
// (srcds_linux) that behaves like it on every surface left4me touches
// (docs/srcds.md §1–4). cmd/fakesrcds is its thin binary; tests
// may also start it in-process with Start.
//
// # Installation tree
//
// WriteInstallation(dir, binaryPath) — or `fakesrcds -write-install DIR`
// from a shell — is the one canonical way to make a stand-in installation:
//
//	srcds_run                          sh like Valve's script (install.go): cd to its own
//	                                   dir, run ./srcds_linux $*, restart it after a crash
//	srcds_linux                        copy of the fakesrcds binary
//	left4dead2/cfg/                    server.cfg and other cfgs (none written)
//	left4dead2/addons/                 .vpk addons
//	steamapps/appmanifest_222860.acf   "buildid" BuildID
//
// As with the real script, srcds_run changes to its own directory, so a
// server started from an overlay's merged/srcds_run reads merged/'s cfgs.
// It re-splits its arguments on whitespace (PARAMS=$*) and, unless given
// -norestart, runs the engine as a child and restarts it after a non-zero
// exit ("<date>: Server restart in 10 seconds"), for ever. The environment
// variable FAKESRCDS_RESTART_DELAY (seconds, default 10) shortens the
// sleep for tests. SIGINT or SIGTERM to the script is forwarded to the
// engine and ends the loop.
// Started elsewhere without a left4dead2/ directory the binary exits 1.
// Build(ctx, out) compiles the binary for tests and harnesses.
//
// # Command line
//
//	-game DIR              mod directory under the working directory (left4dead2)
//	+ip ADDR               bind address for UDP and TCP (0.0.0.0)
//	+hostport N, -port N   game port, UDP (A2S, logs) and TCP (RCON) (27015);
//	                       0 picks a free port, printed in the "Network:" line;
//	                       a taken port moves to the next free one (up to +9)
//	                       with a WARNING line, as srcds does
//	-strictportbind        fail (exit 1) instead when the port is taken; the
//	                       client and HLTV sockets try only their first port
//	+clientport N          client UDP socket from N (27005) up to +9, then any
//	                       port; with +hostport 0 any port
//	+tv_port N             SourceTV (HLTV) UDP socket from N (27020) up to +9,
//	                       fatal (exit 1) when none is free; with +hostport 0
//	                       any port
//	-nohltv                no SourceTV socket
//	-norestart             srcds_run's switch, ignored by the engine
//	+map NAME              first map (c1m1_hotel)
//	+maxplayers N          1–32 (8)
//	-tickrate N            accepted and printed, not simulated
//	+NAME VALUE...         any other console command or cvar, run before
//	                       server.cfg (so server.cfg wins, as with srcds)
//	-fakecrash             exit 1 right after binding (restart-limit tests)
//	-fakeplayers N         same as fakesrcds_players N
//	-fakebots N            same as fakesrcds_bots N
//	-allowloopbacklog      same as fakesrcds_allow_loopback_log 1
//	-a2sloopback           answer A2S from 127.0.0.0/8 and ::1, which the
//	                       real server ignores (for tests that need it)
//	-fakemapload SECONDS   how long changelevel/map stalls the server (3;
//	                       0 loads at once)
//
// Other "-switch" arguments are ignored. The binary also honours the
// environment variable FAKESRCDS_ALLOW_LOOPBACK_LOG=1.
//
// # Cfgs and cvars
//
// At every map start (the first map and each changelevel) the file named by
// servercfgfile (server.cfg) in <game>/cfg/ is executed; "exec NAME" runs
// <game>/cfg/NAME[.cfg], nested. Commands end at a newline or a ';' outside
// quotes; "//" starts a comment. "NAME VALUE" sets a cvar (a single token, or
// the raw rest of the line); every assigned name becomes a cvar. A bare name
// answers in the engine's format (tier1 ConVar_PrintDescription):
//
//	"mp_gamemode" = "versus" ( def. "coop" )
//	 game notify replicated
//	 - Current game mode (coop, realism, versus, survival, scavenge).
//
// "( def. ... )" only when the value differs from the default; names no cfg
// set and the engine does not know answer `Unknown command "NAME"`.
// rcon_password (empty: RCON refuses every password), sv_logsecret,
// hostname, sv_password, sv_tags and mp_gamemode behave as in srcds.
//
// The stand-in's own cvars, settable in any cfg, on the command line or over RCON:
//
//	fakesrcds_players N            simulated humans "Ellie", "Marcus", ... with
//	                               SteamIDs STEAM_1:0:1, STEAM_1:0:2, ...
//	fakesrcds_bots N               simulated bots ("Coach", ...) shown as BOT
//	fakesrcds_join_interval SEC    humans join one per SEC seconds (0: at once)
//	fakesrcds_chat_interval SEC    every SEC seconds a simulated human, in turn,
//	                               says a canned line (say, or say_team)
//	fakesrcds_crash 1              in a server.cfg: exit 1 after it ran
//	fakesrcds_allow_loopback_log 1 send UDP logs to 127.0.0.0/8 too
//
// Lowering fakesrcds_players disconnects the last joined. The command
// "fakesrcds_chat USERID TEXT" makes a simulated player say TEXT (say_team
// when TEXT starts with "(team)"); "fakesrcds_join STEAMID NAME" makes a
// human with that SteamID and name connect (refused when it is banned).
//
// # Kicks and bans (docs/srcds.md §7)
//
// "kickid USERID|STEAMID [message]" drops the player with the reason
// "Kicked by Console : message". "banid MINUTES USERID|STEAMID [kick]" puts
// the SteamID on the ID filter list for MINUTES (0: permanently), "kick"
// also drops the player; a banned SteamID cannot connect (a banned
// simulated human stays away and the next one joins instead) until
// "removeid STEAMID|N" or its minutes are over. "listid" lists the filter,
// "writeid" writes its permanent entries to cfg/banned_user.cfg. The list
// lives in memory: a restart forgets it. A SteamID the engine's tokenizer
// splits at ':' ("STEAM_1 : 0 : 5") is read whole, as the engine does.
//
// # Where it is as unkind as the real server (docs/srcds.md §8)
//
//   - A2S queries from loopback get no answer (unless -a2sloopback); RCON
//     on loopback works.
//   - Setting rcon_password (console, cfg, RCON; even to the same value)
//     closes every RCON connection. server.cfg runs at every map start.
//   - changelevel and map print "---- Host_Changelevel ----" at once, then
//     stall for -fakemapload seconds: A2S packets are dropped, RCON packets
//     (and new connections' auths) wait; then the map loads (server.cfg).
//   - A2S is rate-limited as the engine does: sv_max_queries_sec (3) per
//     address and sv_max_queries_sec_global (3000), counted over windows of
//     sv_max_queries_window (30) seconds; every query counts, so an address
//     that floods stays unanswered (0 turns a limit off).
//   - With no humans and sv_hibernate_when_empty 1 (default) the server
//     hibernates: status says "(hibernating)" and there are no bots.
//   - sv_rcon_maxfailures (5) failed auths from one address ban it for
//     sv_rcon_banpenalty minutes (0: until restart): "Banning ADDR for rcon
//     hacking attempts", its connections are closed, new ones at once.
//     Every auth is logged: `rcon from "IP:PORT": password accepted` (the
//     stand-in's own line) or `rcon from "IP:PORT": Bad Password`.
//
// # Network surfaces
//
// UDP (not from loopback): A2S_INFO (a 0x41 challenge first, the 'I' reply when the request
// carries it; protocol 17, folder left4dead2, game "Left 4 Dead 2", app 550,
// extra data with port, SteamID, keywords "MODE[,sv_tags][,empty],secure"
// and game id), A2S_PLAYER and A2S_RULES (notify cvars), each behind the
// challenge round; replies over 1400 bytes are split in the Source format.
//
// TCP: RCON. Auth answers an empty RESPONSE_VALUE, then AUTH_RESPONSE with
// the request id (or -1 on failure; see the ban above). A
// command before auth closes the connection. Output is split into
// RESPONSE_VALUE packets of at most 4096 bytes (one empty packet when there
// is none). An empty RESPONSE_VALUE from the client is mirrored, followed
// by a packet with body 00 01 00 00 — the end-marker trick. Commands:
// status (docs/srcds.md §3 layout; bots as `#%2d "name" BOT active`), changelevel
// and map (official names, left4dead2/maps/NAME.bsp, or a name inside an
// addon .vpk), say, echo, exec, log on|off, logaddress_add|del|delall|list,
// cvarlist [prefix], users, kick, kickid, banid, removeid, listid, writeid,
// version, quit.
//
// Logs: every "log on", and every map start while logging (unless
// sv_log_onefile 1), starts a new file left4dead2/logs/LMMDDNNN.log (the
// first free counter of the day; sv_logfile 0: none). With logging on each
// line "L MM/DD/YYYY - HH:MM:SS: ..." goes to that file, to the
// console (sv_logecho, default 1) and as FF FF FF FF 'R' line "\n\0" (or 'S' + secret
// with sv_logsecret) from the game port to each logaddress: log file
// started/closed, Loading map, Started map, player connected / STEAM USERID
// validated / entered the game / disconnected (reason), say / say_team,
// Console say, server_cvar for notify cvars, and rcon from "ip:port":
// command "..." (or Bad Password). With logging on, that rcon line is also
// appended to the RCON reply, as the engine's echo does. Destinations in
// 127.0.0.0/8 are dropped silently like the engine's, unless loopback is
// allowed (see above) — tests on hosts without a non-loopback address need that.
//
// # Console (stdout)
//
// Engine-like lines: "Network: IP 127.0.0.1, mode MP, dedicated Yes, ports
// N SV / C CL" (C the bound client port), "SourceTV (HLTV) socket on port
// T", "Couldn't allocate any HLTV IP port" (fatal), "---- Host_NewGame ----", "Host_NewGame on map NAME",
// "Executing dedicated server config file server.cfg", "exec: couldn't exec
// NAME.cfg", "Connection to Steam servers successful." (start-up complete),
// `Client "NAME" connected (ADDR).`, `rcon from "ip:port": command "..."`,
// "Console: TEXT", and "Shutting down server." on SIGINT/SIGTERM, after
// which the binary exits 0. A crash on start prints "Segmentation fault
// (simulated ...)" and exits 1. The lines of <game>/addons/fakesrcds_console.txt
// (ConsoleFile), when the installation has one, are printed after the first
// map loaded, as plugins print when they load: a test puts "[SM] ...
// Signature broken" there to break an installation generation for a canary.
package fakesrcds

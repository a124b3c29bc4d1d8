package fakesrcds

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"github.com/left4me/left4me/internal/vpk"
	"hash/crc32"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrCrash is what Start and Run return when the stand-in was told to crash
// on start (-fakecrash or fakesrcds_crash 1); the binary exits with status 1.
var ErrCrash = errors.New("simulated crash on start")

// Version strings the stand-in reports (A2S version, status, log header).
const (
	// GameVersion is the engine version string in A2S_INFO and status.
	GameVersion = "2.2.4.3"
	// BuildID is the build id written into the stand-in's app manifest and
	// shown in status.
	BuildID = "9215"
	// AppID is the game's Steam app id in A2S_INFO.
	AppID = 550
)

// Config starts a Server.
type Config struct {
	// Dir is the working directory, the installation root that srcds_run
	// cd's to; the mod directory (-game) and its cfg/ are found under it.
	// Empty means the process's working directory.
	Dir string
	// Args is the srcds command line without the program name.
	Args []string
	// Stdout receives the console log; nil discards it.
	Stdout io.Writer
	// AllowLoopbackLog lets UDP logs go to 127.0.0.0/8, which the engine
	// silently drops (also settable by -allowloopbacklog or the cvar
	// fakesrcds_allow_loopback_log 1).
	AllowLoopbackLog bool
}

// Server is a running stand-in game server.
type Server struct {
	opts    Options
	dir     string
	gameDir string
	allowLB bool
	out     *console

	udp *net.UDPConn
	tcp *net.TCPListener
	// clientUDP and tvUDP are the engine's extra sockets (ports.go);
	// nothing is served on them.
	clientUDP *net.UDPConn
	tvUDP     *net.UDPConn

	challengeKey [16]byte
	splitID      uint32

	mu         sync.Mutex
	cvars      cvarSet
	mapName    string
	players    []*player
	banList    []banEntry // banid's filter list (bans.go)
	nextUserID int
	nextSimIdx map[bool]int
	joinTimer  *time.Timer
	chatTimer  *time.Timer // simulated chat (chatter.go)
	chatN      int         // chat lines said so far
	logging    bool
	file       logFile // the open log file (logfile.go)
	logDests   []netip.AddrPort
	conns      map[net.Conn]struct{}
	load       mapLoad    // a changelevel in progress (mapload.go)
	rconState  rconGuard  // RCON auth failures and bans (rconguard.go)
	queries    queryLimit // A2S rate limits (querylimit.go)

	closeOnce sync.Once
	done      chan struct{} // closed when the server has stopped
	stopped   chan struct{} // closed to ask the server to stop
	wg        sync.WaitGroup
}

// console serialises writes of whole lines to the console log.
type console struct {
	mu sync.Mutex
	w  io.Writer
}

func (c *console) printf(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	line := fmt.Sprintf(format, args...)
	if !strings.HasSuffix(line, "\n") {
		line += "\n"
	}
	_, _ = io.WriteString(c.w, line)
}

// Start parses the command line, binds UDP (A2S, logs) and TCP (RCON) on
// ip:port, loads the first map (executing server.cfg) and serves until ctx
// is cancelled, Close is called or a "quit" command arrives.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	opts, err := ParseArgs(cfg.Args)
	if err != nil {
		return nil, fmt.Errorf("parse command line: %w", err)
	}
	dir := cfg.Dir
	if dir == "" {
		if dir, err = os.Getwd(); err != nil {
			return nil, fmt.Errorf("find working directory: %w", err)
		}
	}
	w := cfg.Stdout
	if w == nil {
		w = io.Discard
	}
	s := &Server{
		opts:       opts,
		dir:        dir,
		gameDir:    filepath.Join(dir, opts.Game),
		allowLB:    cfg.AllowLoopbackLog || opts.AllowLoopbackLog,
		out:        &console{w: w},
		cvars:      newCvarSet(),
		nextUserID: 2,
		nextSimIdx: map[bool]int{},
		conns:      map[net.Conn]struct{}{},
		done:       make(chan struct{}),
		stopped:    make(chan struct{}),
	}
	if _, err := rand.Read(s.challengeKey[:]); err != nil {
		return nil, fmt.Errorf("make challenge key: %w", err)
	}
	if fi, err := os.Stat(s.gameDir); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("game directory %q not found under %s (srcds_run must run from the installation root)", opts.Game, dir)
	}
	if s.allowLB {
		s.cvars.set(cvarAllowLoopbackLog, "1")
	}
	if opts.FakePlayers > 0 {
		s.cvars.set(cvarPlayers, strconv.Itoa(opts.FakePlayers))
	}
	if opts.FakeBots > 0 {
		s.cvars.set(cvarBots, strconv.Itoa(opts.FakeBots))
	}

	s.out.printf("Console initialized.")
	s.out.printf("Using breakpad crash handler")
	if err := s.bind(); err != nil {
		return nil, err
	}
	if err := s.bindExtra(net.ParseIP(opts.IP)); err != nil {
		s.closeSockets()
		return nil, err
	}
	s.out.printf("Network: IP %s, mode MP, dedicated Yes, ports %d SV / %d CL", opts.IP, s.Port(), s.ClientPort())
	if opts.Tickrate != 30 {
		s.out.printf("Tickrate set to %d", opts.Tickrate)
	}
	if opts.FakeCrash {
		s.out.printf("Segmentation fault (simulated by -fakecrash)")
		s.closeSockets()
		return nil, ErrCrash
	}

	s.mu.Lock()
	for _, text := range opts.Commands {
		s.execLocked(text, nil)
	}
	s.loadMapLocked(opts.Map, false)
	crash := s.cvars.int(cvarCrash) != 0
	s.mu.Unlock()
	if crash {
		s.out.printf("Segmentation fault (simulated by %s)", cvarCrash)
		s.closeSockets()
		return nil, ErrCrash
	}
	s.printConsoleFile()
	s.out.printf("Connection to Steam servers successful.")
	s.out.printf("   VAC secure mode is activated.")

	s.wg.Add(2)
	go s.serveA2S()
	go s.serveRCON()
	go func() {
		select {
		case <-ctx.Done():
		case <-s.stopped:
		}
		s.shutdown()
	}()
	s.mu.Lock()
	s.reconcilePlayersLocked()
	s.mu.Unlock()
	return s, nil
}

// Run is Start followed by Wait. It returns nil when ctx is cancelled or a
// "quit" command stops the server.
func Run(ctx context.Context, cfg Config) error {
	s, err := Start(ctx, cfg)
	if err != nil {
		return err
	}
	return s.Wait()
}

// bind opens the UDP socket and the TCP listener on the same port. Port 0
// picks a port free for both. Like srcds, when the port is taken it tries
// the next ones (up to 10) and says so, unless -strictportbind is given.
func (s *Server) bind() error {
	ip := net.ParseIP(s.opts.IP)
	if ip == nil {
		return fmt.Errorf("bind: +ip %q is not an IP address", s.opts.IP)
	}
	if s.opts.Port == 0 {
		for attempt := 0; ; attempt++ {
			tcp, err := net.ListenTCP("tcp", &net.TCPAddr{IP: ip})
			if err != nil {
				return fmt.Errorf("bind RCON (TCP %s:0): %w", s.opts.IP, err)
			}
			port := tcp.Addr().(*net.TCPAddr).Port
			udp, err := net.ListenUDP("udp", &net.UDPAddr{IP: ip, Port: port})
			if err == nil {
				s.tcp, s.udp = tcp, udp
				return nil
			}
			_ = tcp.Close()
			if attempt >= 20 {
				return fmt.Errorf("bind game port (UDP %s:%d): %w", s.opts.IP, port, err)
			}
		}
	}
	var firstErr error
	for port := s.opts.Port; port < s.opts.Port+10 && port <= 65535; port++ {
		udp, err := net.ListenUDP("udp", &net.UDPAddr{IP: ip, Port: port})
		if err == nil {
			tcp, terr := net.ListenTCP("tcp", &net.TCPAddr{IP: ip, Port: port})
			if terr == nil {
				s.tcp, s.udp = tcp, udp
				return nil
			}
			_ = udp.Close()
			err = terr
		}
		if firstErr == nil {
			firstErr = err
		}
		s.out.printf("WARNING: UDP_OpenSocket: port: %d  bind: %v", port, err)
		if s.opts.StrictPortBind {
			break
		}
	}
	s.out.printf("Couldn't allocate dedicated server IP port %d.", s.opts.Port)
	return fmt.Errorf("bind game port %s:%d: %w", s.opts.IP, s.opts.Port, firstErr)
}

// Port is the bound game port (UDP and TCP).
func (s *Server) Port() int { return s.udp.LocalAddr().(*net.UDPAddr).Port }

// Addr is the address to reach the server on: the bound IP and port, with
// 127.0.0.1 in place of an unspecified (0.0.0.0) IP.
func (s *Server) Addr() string {
	ip := s.opts.IP
	if p := net.ParseIP(ip); p == nil || p.IsUnspecified() {
		ip = "127.0.0.1"
	}
	return net.JoinHostPort(ip, strconv.Itoa(s.Port()))
}

// Wait blocks until the server has stopped.
func (s *Server) Wait() error {
	<-s.done
	return nil
}

// Done is closed once the server has stopped.
func (s *Server) Done() <-chan struct{} { return s.done }

// Close stops the server and waits for it.
func (s *Server) Close() error {
	s.requestStop()
	<-s.done
	return nil
}

func (s *Server) requestStop() {
	s.closeOnce.Do(func() { close(s.stopped) })
}

func (s *Server) shutdown() {
	s.out.printf("Shutting down server.")
	// Stopping before the connections close: an RCON connection accepted
	// from now on is hung up on (serveRCON checks under s.mu), not left
	// open for s.wg to wait on for ever (a cancelled context, unlike
	// Close, had not said so).
	s.requestStop()
	s.mu.Lock()
	if s.joinTimer != nil {
		s.joinTimer.Stop()
	}
	if s.chatTimer != nil {
		s.chatTimer.Stop()
	}
	s.stopMapLoadLocked()
	s.stopLogFileLocked()
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.closeSockets()
	s.wg.Wait()
	close(s.done)
}

func (s *Server) closeSockets() {
	if s.udp != nil {
		_ = s.udp.Close()
	}
	if s.tcp != nil {
		_ = s.tcp.Close()
	}
	for _, c := range []*net.UDPConn{s.clientUDP, s.tvUDP} {
		if c != nil {
			_ = c.Close()
		}
	}
}

// Exec runs console text as if typed into the server console and returns
// what it printed.
func (s *Server) Exec(text string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	s.execLocked(text, &b)
	return b.String()
}

var officialMap = regexp.MustCompile(`^c([1-9]|1[0-4])m[1-5]_[a-z0-9_]+$`)

// mapExists reports whether a map can be loaded: an official map name, a
// maps/<name>.bsp in the mod directory, or a maps/<name>.bsp inside an addon
// VPK's directory tree (addons/*.vpk, addons/workshop/*.vpk).
func (s *Server) mapExists(name string) bool {
	if officialMap.MatchString(name) {
		return true
	}
	if strings.ContainsAny(name, "/\\") || name == "" {
		return false
	}
	if _, err := os.Stat(filepath.Join(s.gameDir, "maps", name+".bsp")); err == nil {
		return true
	}
	vpks, _ := filepath.Glob(filepath.Join(s.gameDir, "addons", "*.vpk"))
	more, _ := filepath.Glob(filepath.Join(s.gameDir, "addons", "workshop", "*.vpk"))
	for _, p := range append(vpks, more...) {
		a, err := vpk.Open(p)
		if err != nil {
			continue // the engine skips an addon it cannot read
		}
		_, err = a.Stat("maps/" + name + ".bsp")
		a.Close()
		if err == nil {
			return true
		}
	}
	return false
}

// loadMapLocked switches to a map: engine console lines, the log sequence
// of a new map, and server.cfg (servercfgfile) executed as at every map
// start.
func (s *Server) loadMapLocked(name string, change bool) {
	if !change {
		s.out.printf("---- Host_NewGame ----")
	} // a changelevel printed its header when the load began (mapload.go)
	if !s.mapExists(name) {
		s.out.printf("Warning: map %s not found under %s; loading it anyway", name, s.gameDir)
	}
	s.out.printf("Host_NewGame on map %s", name)
	if change {
		s.mapLogFileLocked()
	}
	s.logLocked(fmt.Sprintf("Loading map %q", name))
	s.mapName = name
	cfgName := s.cvars.str("servercfgfile")
	if cfgName == "" {
		cfgName = "server.cfg"
	}
	s.out.printf("Executing dedicated server config file %s", cfgName)
	s.execFileLocked(cfgName, nil, 0)
	s.logLocked(fmt.Sprintf("Started map %q (CRC \"%d\")", name, int32(crc32.ChecksumIEEE([]byte(name)))))
	for _, p := range s.players {
		if !p.bot {
			s.logLocked(fmt.Sprintf("%s entered the game", p.logID()))
		}
	}
}

// execFileLocked executes a cfg file from the mod's cfg/ directory.
func (s *Server) execFileLocked(name string, out io.Writer, depth int) {
	if depth > 16 {
		s.reply(out, "exec: recursion too deep, ignoring %s", name)
		return
	}
	file := name
	if !strings.HasSuffix(strings.ToLower(file), ".cfg") {
		file += ".cfg"
	}
	if strings.Contains(file, "..") || filepath.IsAbs(file) {
		s.reply(out, "exec %s: invalid path.", name)
		return
	}
	data, err := os.ReadFile(filepath.Join(s.gameDir, "cfg", filepath.FromSlash(file)))
	if err != nil {
		s.reply(out, "exec: couldn't exec %s", file)
		return
	}
	for _, c := range splitCommands(string(data)) {
		s.runLocked(c, out, depth+1)
	}
}

// reply writes a line of command output: to the RCON caller when there is
// one, otherwise to the console.
func (s *Server) reply(out io.Writer, format string, args ...any) {
	if out == nil {
		s.out.printf(format, args...)
		return
	}
	line := fmt.Sprintf(format, args...)
	if !strings.HasSuffix(line, "\n") {
		line += "\n"
	}
	_, _ = io.WriteString(out, line)
}

package workshop

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/left4me/left4me/internal/content"
	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/vpk"
)

// ErrCorrupt is returned (wrapped) for a downloaded file that is not a valid
// VPK (bad directory or a CRC mismatch) or whose size is not file_size.
// Such a download is deleted and not published; retrying it is pointless
// until the item changes.
var ErrCorrupt = errors.New("corrupt Workshop download")

// errStalled is the cause of a transfer cancelled for lack of progress.
var errStalled = errors.New("download stalled")

// DownloaderConfig configures a Downloader.
type DownloaderConfig struct {
	Root layout.Root
	// HTTPClient fetches file_url. Nil means a client with connect, TLS and
	// response-header timeouts but no overall timeout (files are large;
	// StallTimeout catches a transfer that stops moving).
	HTTPClient *http.Client
	// TrustedURL is the Web API base the operator configured. The default
	// client fetches file_url only from public addresses; the host and port
	// of TrustedURL are exempt (a mirror, or a test server on loopback).
	// It has no effect on a caller's HTTPClient.
	TrustedURL string
	// Parallel bounds concurrent downloads; 0 means 4.
	Parallel int
	// Retry governs retries of transient failures; zero means four tries
	// with 2 s, 4 s, 8 s backoff.
	Retry Retry
	// StallTimeout aborts (and retries) a transfer that receives nothing for
	// this long; 0 means 60 s.
	StallTimeout time.Duration
	// SteamCmd gives the steamcmd runner for items without a usable
	// file_url (steampipe.go); nil means such items are flagged instead.
	SteamCmd SteamCmdFunc
	Logger   *slog.Logger
}

// Downloader fetches Workshop item files into the state root.
type Downloader struct {
	root     layout.Root
	hc       *http.Client
	parallel int
	retry    Retry
	stall    time.Duration
	log      *slog.Logger
	steamCmd SteamCmdFunc
	steamMu  sync.Mutex // one steamcmd run at a time
}

// NewDownloader returns a Downloader for cfg.
func NewDownloader(cfg DownloaderConfig) *Downloader {
	d := &Downloader{root: cfg.Root, hc: cfg.HTTPClient, parallel: cfg.Parallel, retry: cfg.Retry, stall: cfg.StallTimeout, log: cfg.Logger, steamCmd: cfg.SteamCmd}
	if d.parallel <= 0 {
		d.parallel = 4
	}
	if d.retry.Attempts == 0 {
		d.retry = defaultRetry()
	}
	if d.stall <= 0 {
		d.stall = 60 * time.Second
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if d.hc == nil {
		d.hc = &http.Client{Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           publicDialer(&net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}, trustedHostPort(cfg.TrustedURL)),
			TLSHandshakeTimeout:   15 * time.Second,
			ResponseHeaderTimeout: 30 * time.Second,
			IdleConnTimeout:       90 * time.Second,
			MaxIdleConnsPerHost:   d.parallel,
			ForceAttemptHTTP2:     true,
		}}
	}
	return d
}

// Result is the outcome of downloading one item.
type Result struct {
	ID       uint64
	Revision string
	// Path is the published .vpk (empty on error).
	Path string
	// Addon is what the VPK says about itself.
	Addon vpk.Info
	// Size is the file's size in bytes.
	Size int64
	// Cached is set when the revision was already on disk.
	Cached bool
	// Err is why the item could not be had; wraps ErrCorrupt, ErrTransient,
	// ErrUnavailable, ErrWrongApp or a context error.
	Err error
}

// VPKName is the file name of an item's VPK inside its revision directory.
func VPKName(id uint64) string { return strconv.FormatUint(id, 10) + ".vpk" }

// ItemVPK is the path of the VPK of one revision of an item.
func ItemVPK(root layout.Root, id uint64, revision string) string {
	return filepath.Join(root.WorkshopItem(strconv.FormatUint(id, 10), revision), "left4dead2", "addons", VPKName(id))
}

// DownloadAll fetches every item (at most Parallel at a time) and returns one
// Result per item, in order. Items already on disk at their revision are not
// fetched again. Progress maps bytes received onto fractions lo..hi.
func (d *Downloader) DownloadAll(ctx context.Context, items []Details, p Progress, lo, hi float64) []Result {
	var total int64
	for _, it := range items {
		total += it.FileSize
	}
	m := newMeter(p, total, lo, hi, fmt.Sprintf("downloading %d Workshop item(s)", len(items)))
	results := make([]Result, len(items))
	sem := make(chan struct{}, d.parallel)
	var wg sync.WaitGroup
	for i, it := range items {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				results[i] = Result{ID: it.ID, Revision: it.Revision(), Err: ctx.Err()}
				return
			}
			defer func() { <-sem }()
			var got int64 // only this goroutine touches it
			results[i] = d.download1(ctx, it, func(n int64) { got += n; m.add(n) }, p.Logf)
			// Count what was not transferred (cached, failed) as done.
			if rest := it.FileSize - got; rest > 0 {
				m.add(rest)
			}
			switch r := results[i]; {
			case r.Err != nil:
				p.Logf("item %d: %v", it.ID, r.Err)
			case r.Cached:
				p.Logf("item %d revision %s already downloaded", it.ID, r.Revision)
			default:
				p.Logf("item %d revision %s downloaded (%d bytes)", it.ID, r.Revision, r.Size)
			}
		}()
	}
	wg.Wait()
	m.flush()
	return results
}

// Download fetches one item's revision unless it is already on disk, checks
// it and publishes it atomically as workshop/<id>/<revision>/. received is
// called with byte counts as they arrive (nil for none).
//
// NOTE: docs/lifecycle.md rule 12 — a revision directory, once renamed into
// place, is never written again; a changed item gets a new revision
// directory. The file is assembled under dot-names in the item directory,
// which nothing mounts.
//
// An item without a usable file_url goes through steamcmd instead
// (steampipe.go), as does one whose file_url answers with an image or a
// web page.
func (d *Downloader) Download(ctx context.Context, it Details, received func(int64)) Result {
	return d.download1(ctx, it, received, func(format string, args ...any) {
		d.log.Info(fmt.Sprintf(format, args...))
	})
}

// download1 is Download with steamcmd's output and the fallback's reason
// going to logf.
func (d *Downloader) download1(ctx context.Context, it Details, received func(int64), logf func(string, ...any)) Result {
	res := Result{ID: it.ID, Revision: it.Revision()}
	if received == nil {
		received = func(int64) {}
	}
	switch {
	case !it.Available():
		res.Err = fmt.Errorf("%w: item %d (result %d)", ErrUnavailable, it.ID, it.Result)
		return res
	case it.ConsumerAppID != AppID:
		res.Err = fmt.Errorf("%w: item %d belongs to app %d", ErrWrongApp, it.ID, it.ConsumerAppID)
		return res
	case !hasContent(it.FileURL, it.Filename, it.FileSize):
		res.Err = fmt.Errorf("%w: item %d has no file (no file_url, filename or file_size)", ErrUnavailable, it.ID)
		return res
	}
	if why := FileURLProblem(it.FileURL, it.PreviewURL); why != "" {
		res.Path, res.Size, res.Addon, res.Cached, res.Err = d.steamCmdDownload(ctx, it, why, received, logf)
	} else {
		res.Path, res.Size, res.Addon, res.Cached, res.Err = d.download(ctx, it, received)
		if errors.Is(res.Err, errNotAFile) && ctx.Err() == nil {
			why := errNotAFile.Error()
			var nf notAFileErr
			if errors.As(res.Err, &nf) {
				why = nf.Error()
			}
			res.Path, res.Size, res.Addon, res.Cached, res.Err = d.steamCmdDownload(ctx, it, why, received, logf)
		}
	}
	if res.Err != nil {
		res.Path = ""
	}
	return res
}

func (d *Downloader) download(ctx context.Context, it Details, received func(int64)) (path string, size int64, info vpk.Info, cached bool, err error) {
	idStr := strconv.FormatUint(it.ID, 10)
	rev := it.Revision()
	itemDir := filepath.Join(d.root.Workshop(), idStr)
	if err := os.MkdirAll(itemDir, 0o755); err != nil {
		return "", 0, info, false, fmt.Errorf("item %d: create directory: %w", it.ID, err)
	}
	unlock, err := lockDir(ctx, itemDir)
	if err != nil {
		return "", 0, info, false, fmt.Errorf("item %d: %w", it.ID, err)
	}
	defer unlock()

	final := d.root.WorkshopItem(idStr, rev)
	vpkPath := ItemVPK(d.root, it.ID, rev)
	if _, err := os.Stat(final); err == nil {
		info, err := vpk.Addon(vpkPath)
		if err != nil {
			return "", 0, info, false, fmt.Errorf("item %d: published revision %s unreadable: %w", it.ID, rev, err)
		}
		fi, err := os.Stat(vpkPath)
		if err != nil {
			return "", 0, info, false, fmt.Errorf("item %d: %w", it.ID, err)
		}
		return vpkPath, fi.Size(), info, true, nil
	}
	cleanStale(itemDir, rev, d.log)

	partial := filepath.Join(itemDir, "."+rev+".partial")
	validatorFile := filepath.Join(itemDir, "."+rev+".validator")
	err = d.retry.do(ctx, func(attempt int) error {
		if attempt > 1 {
			d.log.Info("retrying workshop download", "item", it.ID, "attempt", attempt)
		}
		return d.fetch(ctx, it, partial, validatorFile, received)
	})
	if err != nil {
		return "", 0, info, false, fmt.Errorf("item %d: download %s: %w", it.ID, it.FileURL, err)
	}

	info, err = checkVPK(ctx, partial)
	if err != nil {
		if ctx.Err() == nil {
			os.Remove(partial)
			os.Remove(validatorFile)
		}
		return "", 0, info, false, fmt.Errorf("item %d revision %s: %w", it.ID, rev, err)
	}
	fi, err := os.Stat(partial)
	if err != nil {
		return "", 0, info, false, fmt.Errorf("item %d: %w", it.ID, err)
	}
	if err := publishFile(itemDir, rev, partial, VPKName(it.ID)); err != nil {
		return "", 0, info, false, fmt.Errorf("item %d: publish revision %s: %w", it.ID, rev, err)
	}
	os.Remove(validatorFile)
	return vpkPath, fi.Size(), info, false, nil
}

// checkVPK parses the file as a VPK, verifies every embedded file's CRC and
// reads its addon information.
func checkVPK(ctx context.Context, path string) (vpk.Info, error) {
	a, err := vpk.Open(path)
	if err != nil {
		return vpk.Info{}, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	defer a.Close()
	if err := a.Verify(ctx); err != nil {
		if ctx.Err() != nil {
			return vpk.Info{}, err
		}
		return vpk.Info{}, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	info, err := a.Addon()
	if err != nil {
		return vpk.Info{}, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return info, nil
}

// fetch makes one attempt at completing the partial file, resuming from its
// current length when there is one.
func (d *Downloader) fetch(ctx context.Context, it Details, partial, validatorFile string, received func(int64)) error {
	f, err := os.OpenFile(partial, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("open partial file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	have := fi.Size()
	want := it.FileSize // 0: unknown
	if want > 0 && have == want {
		return nil // complete from an earlier attempt
	}
	if (want > 0 && have > want) || want == 0 {
		// Too long, or nothing to check a resumed file against: start over.
		if err := restart(f, validatorFile); err != nil {
			return err
		}
		have = 0
	}

	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	req, err := http.NewRequestWithContext(actx, http.MethodGet, it.FileURL, nil)
	if err != nil {
		return fmt.Errorf("request: %w", err)
	}
	// Transparent gzip would make byte offsets meaningless.
	req.Header.Set("Accept-Encoding", "identity")
	if have > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", have))
		// If-Range makes the server send the whole file (200) when it has
		// changed since the partial was written; without a validator a
		// changed file would be caught by the size and CRC checks instead.
		if v, err := os.ReadFile(validatorFile); err == nil && len(v) > 0 {
			req.Header.Set("If-Range", string(v))
		}
	}
	resp, err := d.hc.Do(req)
	if errors.Is(err, errNotPublic) {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if err != nil {
		return classifyNetErr(ctx, err)
	}
	defer resp.Body.Close()

	if ct := resp.Header.Get("Content-Type"); (resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusPartialContent) && notAFile(ct) {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		received(-have)
		restart(f, validatorFile)
		return notAFileErr{contentType: ct}
	}
	switch resp.StatusCode {
	case http.StatusOK:
		if have > 0 {
			d.log.Info("server ignored the range request; downloading from the start", "item", it.ID, "had", have)
			received(-have)
		}
		if err := restart(f, validatorFile); err != nil {
			return err
		}
		have = 0
		saveValidator(resp, validatorFile)
	case http.StatusPartialContent:
		start, err := contentRangeStart(resp.Header.Get("Content-Range"))
		if err != nil || start != have {
			// Not the range asked for: throw the partial away and retry.
			received(-have)
			if rerr := restart(f, validatorFile); rerr != nil {
				return rerr
			}
			return transient(fmt.Errorf("server answered range %d- with %q", have, resp.Header.Get("Content-Range")))
		}
	case http.StatusRequestedRangeNotSatisfiable:
		received(-have)
		if err := restart(f, validatorFile); err != nil {
			return err
		}
		return transient(fmt.Errorf("server refused range %d-: %s", have, resp.Status))
	default:
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return statusErr(resp)
	}

	if _, err := f.Seek(have, io.SeekStart); err != nil {
		return err
	}
	limit := int64(MaxFileSize)
	if want > 0 {
		limit = want - have
	}
	body := &stallReader{r: resp.Body, timer: time.AfterFunc(d.stall, func() { cancel(errStalled) }), stall: d.stall, seen: received}
	defer body.timer.Stop()
	n, err := io.Copy(f, io.LimitReader(body, limit+1))
	have += n
	if err != nil {
		if errors.Is(context.Cause(actx), errStalled) && ctx.Err() == nil {
			return transient(fmt.Errorf("no data for %s after %d bytes: %w", d.stall, have, errStalled))
		}
		var pe *os.PathError
		if errors.As(err, &pe) {
			return fmt.Errorf("write partial file: %w", err) // disk full etc.: not transient
		}
		return classifyNetErr(ctx, fmt.Errorf("after %d bytes: %w", have, err))
	}
	if n > limit {
		received(-have)
		restart(f, validatorFile)
		if want > 0 {
			return fmt.Errorf("%w: server sent more than file_size %d bytes", ErrCorrupt, want)
		}
		return fmt.Errorf("%w: file larger than %d bytes", ErrCorrupt, int64(MaxFileSize))
	}
	if want > 0 && have < want {
		return transient(fmt.Errorf("transfer ended after %d of %d bytes: %w", have, want, io.ErrUnexpectedEOF))
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync partial file: %w", err)
	}
	return nil
}

// notAFileErr is errNotAFile with the Content-Type that was served.
type notAFileErr struct{ contentType string }

func (e notAFileErr) Error() string {
	return "file_url answers with Content-Type " + e.contentType + ", not an addon file (SteamPipe-hosted item)"
}
func (e notAFileErr) Unwrap() error { return errNotAFile }

// restart empties the partial file and forgets its validator.
func restart(f *os.File, validatorFile string) error {
	os.Remove(validatorFile)
	if err := f.Truncate(0); err != nil {
		return fmt.Errorf("truncate partial file: %w", err)
	}
	return nil
}

// saveValidator remembers the response's strong ETag (or Last-Modified) for
// If-Range on a later resume. Weak ETags cannot be used with If-Range.
func saveValidator(resp *http.Response, validatorFile string) {
	v := resp.Header.Get("ETag")
	if v == "" || strings.HasPrefix(v, "W/") {
		v = resp.Header.Get("Last-Modified")
	}
	if v == "" || len(v) > 512 || strings.ContainsAny(v, "\r\n") {
		return
	}
	os.WriteFile(validatorFile, []byte(v), 0o644)
}

// contentRangeStart returns the first byte position of "bytes a-b/len".
func contentRangeStart(h string) (int64, error) {
	rest, ok := strings.CutPrefix(h, "bytes ")
	if !ok {
		return 0, fmt.Errorf("bad Content-Range %q", h)
	}
	a, _, ok := strings.Cut(rest, "-")
	if !ok {
		return 0, fmt.Errorf("bad Content-Range %q", h)
	}
	return strconv.ParseInt(a, 10, 64)
}

// stallReader re-arms timer on every read that returns data and reports the
// bytes to seen.
type stallReader struct {
	r     io.Reader
	timer *time.Timer
	stall time.Duration
	seen  func(int64)
}

func (s *stallReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if n > 0 {
		s.timer.Reset(s.stall)
		s.seen(int64(n))
	}
	return n, err
}

// publishFile moves the verified partial file into a fresh revision
// directory and renames the directory into place, syncing along the way so
// that a crash leaves either no revision or a complete one.
func publishFile(itemDir, rev, partial, name string) (err error) {
	tmp, err := os.MkdirTemp(itemDir, ".tmp-"+rev+"-")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	addons := filepath.Join(tmp, "left4dead2", "addons")
	if err := os.MkdirAll(addons, 0o755); err != nil {
		return err
	}
	for _, dir := range []string{tmp, filepath.Join(tmp, "left4dead2"), addons} {
		// MkdirTemp makes 0700 and the umask may strip more; the game user
		// must be able to read the layer. (Made read-only once in place.)
		if err := os.Chmod(dir, 0o755); err != nil {
			return err
		}
	}
	dst := filepath.Join(addons, name)
	if err := os.Chmod(partial, 0o444); err != nil {
		return err
	}
	if err := os.Rename(partial, dst); err != nil {
		return err
	}
	for _, dir := range []string{addons, filepath.Join(tmp, "left4dead2"), tmp} {
		if err := syncDir(dir); err != nil {
			return err
		}
	}
	final := filepath.Join(itemDir, rev)
	if err := os.Rename(tmp, final); err != nil {
		return err
	}
	// Read-only like every published layer (content.Publish); the top last,
	// after the rename.
	for _, dir := range []string{filepath.Join(final, "left4dead2", "addons"), filepath.Join(final, "left4dead2"), final} {
		if err := os.Chmod(dir, 0o555); err != nil {
			return err
		}
	}
	return syncDir(itemDir)
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// cleanStale removes leftovers of interrupted downloads of other revisions
// and unfinished revision directories. The caller holds the item's lock.
func cleanStale(itemDir, rev string, log *slog.Logger) {
	entries, err := os.ReadDir(itemDir)
	if err != nil {
		return
	}
	for _, e := range entries {
		n := e.Name()
		stale := strings.HasPrefix(n, ".tmp-") ||
			(strings.HasSuffix(n, ".partial") && n != "."+rev+".partial") ||
			(strings.HasSuffix(n, ".validator") && n != "."+rev+".validator")
		if stale {
			if err := content.RemoveTree(filepath.Join(itemDir, n)); err != nil {
				log.Warn("remove stale workshop file", "path", filepath.Join(itemDir, n), "err", err)
			}
		}
	}
}

// lockDir takes an exclusive flock on dir/.lock, polling so that ctx can
// interrupt the wait. It serialises the CLI and the panel working on the
// same item or layer.
func lockDir(ctx context.Context, dir string) (func(), error) {
	f, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open lock: %w", err)
	}
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", dir, err)
		}
		t := time.NewTimer(100 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			f.Close()
			return nil, fmt.Errorf("wait for lock on %s: %w", dir, ctx.Err())
		case <-t.C:
		}
	}
}

package workshop

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"mime"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/left4me/left4me/internal/content"
	"github.com/left4me/left4me/internal/steamcmd"
	"github.com/left4me/left4me/internal/vpk"
)

// Items without a usable file_url.
//
// NOTE: docs/srcds.md §8 "Workshop file_url" — items hosted on SteamPipe
// come back from GetPublishedFileDetails with an empty file_url or with
// their preview image as file_url. Such an item is downloaded through
// steamcmd (+workshop_download_item 550 ID, in the left4me-steamcmd@
// sandbox in production) or, when steamcmd is not available or fails,
// recorded on the item with the reason (ErrNeedsSteamCmd), which the
// panel, the API and `left4me workshop show` display; the layer's job
// fails naming the item. It is never silently left out.
//
// "No usable file_url" is decided in two steps:
//   - from the details (FileURLProblem): file_url is empty, is the item's
//     preview_url, or its path ends in an image extension (.jpg, .jpeg,
//     .png, .gif, .webp, .bmp). Real file URLs (steamusercontent.com/ugc/…/)
//     end in a hash and a slash, not in a file name, so the absence of
//     ".vpk" proves nothing and is not a criterion;
//   - from the answer: a file_url that answers with Content-Type image/* or
//     text/html is not the addon either (errNotAFile), and the item goes to
//     steamcmd as well.
//
// An item whose details carry no file_url, no filename and no file_size
// has nothing to download at all (an empty collection answers like that;
// whether a SteamPipe item can, too, is unverified) and is refused or
// skipped as before.

// ErrNeedsSteamCmd is returned (wrapped) for an item that has no usable
// file_url and that steamcmd could not download (or that could not be
// handed to steamcmd). The message says why.
//
//lint:ignore ST1005 "Workshop" is a name, and the message is shown as it is.
var ErrNeedsSteamCmd = errors.New("Workshop item has no downloadable file_url and needs steamcmd")

// errNotAFile is the cause of a file_url that answered with something that
// is not an addon file (an image, an HTML page).
var errNotAFile = errors.New("file_url does not serve a file")

// needsSteamCmdErr is an item that needs steamcmd and did not get it; it
// matches ErrNeedsSteamCmd and its cause.
type needsSteamCmdErr struct {
	msg   string
	cause error
}

func (e *needsSteamCmdErr) Error() string { return e.msg }
func (e *needsSteamCmdErr) Unwrap() []error {
	if e.cause == nil {
		return []error{ErrNeedsSteamCmd}
	}
	return []error{ErrNeedsSteamCmd, e.cause}
}

// SteamCmdFunc returns the steamcmd runner for Workshop downloads, or why
// there is none. It is called only when an item needs steamcmd.
type SteamCmdFunc func(ctx context.Context) (steamcmd.Runner, error)

var imageExts = map[string]bool{".jpg": true, ".jpeg": true, ".png": true, ".gif": true, ".webp": true, ".bmp": true}

// FileURLProblem says why file_url cannot be downloaded with a plain GET,
// or "" when it can (as far as the details tell).
func FileURLProblem(fileURL, previewURL string) string {
	switch {
	case strings.TrimSpace(fileURL) == "":
		return "file_url is empty (SteamPipe-hosted item)"
	case previewURL != "" && fileURL == previewURL:
		return "file_url is the item's preview image (SteamPipe-hosted item)"
	}
	if u, err := url.Parse(fileURL); err == nil && imageExts[strings.ToLower(path.Ext(u.Path))] {
		return "file_url points to an image, not an addon (SteamPipe-hosted item)"
	}
	return ""
}

// hasContent reports whether the details describe a file at all.
func hasContent(fileURL, filename string, fileSize int64) bool {
	return fileURL != "" || filename != "" || fileSize > 0
}

// notAFile reports whether a Content-Type is not that of an addon file.
func notAFile(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return strings.HasPrefix(mt, "image/") || mt == "text/html"
}

// steamCmdDownload fetches the item through steamcmd (why says why the
// file_url could not be used), checks it and publishes it like an HTTP
// download. The caller holds nothing; the item's lock is taken here.
func (d *Downloader) steamCmdDownload(ctx context.Context, it Details, why string, received func(int64), logf func(string, ...any)) (vpkPath string, size int64, info vpk.Info, cached bool, err error) {
	idStr := strconv.FormatUint(it.ID, 10)
	rev := it.Revision()
	fail := func(cause error, format string, args ...any) error {
		return &needsSteamCmdErr{msg: fmt.Sprintf("item %d: %s, and ", it.ID, why) + fmt.Sprintf(format, args...), cause: cause}
	}
	if d.steamCmd == nil {
		return "", 0, info, false, fail(nil, "steamcmd is not configured: the item is not in its layers")
	}
	itemDir := filepath.Join(d.root.Workshop(), idStr)
	if err := os.MkdirAll(itemDir, 0o755); err != nil {
		return "", 0, info, false, fmt.Errorf("item %d: create directory: %w", it.ID, err)
	}
	unlock, err := lockDir(ctx, itemDir)
	if err != nil {
		return "", 0, info, false, fmt.Errorf("item %d: %w", it.ID, err)
	}
	defer unlock()
	vpkPath = ItemVPK(d.root, it.ID, rev)
	if _, err := os.Stat(d.root.WorkshopItem(idStr, rev)); err == nil {
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

	runner, err := d.steamCmd(ctx)
	if err != nil {
		return "", 0, info, false, fail(err, "steamcmd is not available (%v): the item is not in its layers", err)
	}
	// One steamcmd at a time: in this process, and with installs and
	// other processes through the install lock.
	d.steamMu.Lock()
	defer d.steamMu.Unlock()
	unlockSteam, err := content.LockSteamCmd(ctx, d.root)
	if err != nil {
		return "", 0, info, false, fmt.Errorf("item %d: %w", it.ID, err)
	}
	defer unlockSteam()

	// steamcmd downloads into a build directory (what the
	// left4me-steamcmd@ unit binds writable); only the checked file moves
	// on into workshop/.
	buildDir := d.root.Build(content.NewBuildID("workshop", time.Now()))
	out := filepath.Join(buildDir, content.BuildOutput)
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", 0, info, false, fmt.Errorf("item %d: %w", it.ID, err)
	}
	defer func() {
		if rerr := content.RemoveTree(out); rerr != nil {
			d.log.Warn("remove steamcmd output", "path", out, "err", rerr)
		}
	}()
	logFile, lerr := os.OpenFile(filepath.Join(buildDir, content.BuildLog), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if lerr == nil {
		defer logFile.Close()
	}
	logf("item %d: %s; downloading it with steamcmd (workshop_download_item %s %d)", it.ID, why, steamcmd.WorkshopAppID, it.ID)
	got, err := steamcmd.DownloadItem(ctx, runner, out, it.ID, func(format string, args ...any) {
		line := fmt.Sprintf(format, args...)
		if logFile != nil {
			fmt.Fprintln(logFile, line)
		}
		logf("item %d: steamcmd: %s", it.ID, line)
	})
	if err != nil {
		if ctx.Err() != nil {
			return "", 0, info, false, fmt.Errorf("item %d: %w", it.ID, err)
		}
		ferr := fail(err, "steamcmd workshop_download_item %s %d failed: %v (log: %s)", steamcmd.WorkshopAppID, it.ID, err, filepath.Join(buildDir, content.BuildLog))
		if errors.Is(err, steamcmd.ErrItemTransient) {
			return "", 0, info, false, transient(ferr)
		}
		return "", 0, info, false, ferr
	}
	src, err := pickVPK(got.Dir)
	if err != nil {
		return "", 0, info, false, fmt.Errorf("item %d revision %s from steamcmd: %w", it.ID, rev, err)
	}
	partial := filepath.Join(itemDir, "."+rev+".partial")
	os.Remove(partial)
	os.Remove(filepath.Join(itemDir, "."+rev+".validator"))
	if err := linkOrCopy(src, partial); err != nil {
		return "", 0, info, false, fmt.Errorf("item %d: move steamcmd's file into place: %w", it.ID, err)
	}
	fi, err := os.Stat(partial)
	if err != nil {
		return "", 0, info, false, fmt.Errorf("item %d: %w", it.ID, err)
	}
	if it.FileSize > 0 && fi.Size() != it.FileSize {
		// What file_size means for a SteamPipe item is unverified: noted,
		// not fatal; the CRC check below is what judges the file.
		logf("item %d: steamcmd's file has %d bytes, the details said file_size %d", it.ID, fi.Size(), it.FileSize)
	}
	info, err = checkVPK(ctx, partial)
	if err != nil {
		if ctx.Err() == nil {
			os.Remove(partial)
		}
		return "", 0, info, false, fmt.Errorf("item %d revision %s from steamcmd: %w", it.ID, rev, err)
	}
	if err := publishFile(itemDir, rev, partial, VPKName(it.ID)); err != nil {
		return "", 0, info, false, fmt.Errorf("item %d: publish revision %s: %w", it.ID, rev, err)
	}
	received(fi.Size())
	return vpkPath, fi.Size(), info, false, nil
}

// maxItemFiles bounds how many files of an item directory are looked at.
const maxItemFiles = 1000

// pickVPK finds the addon in the directory steamcmd filled: its one .vpk
// file (whatever its name: steamcmd's naming of L4D2 items is not
// documented), or, without any, its one regular file if that parses as a
// VPK. Anything else is an error naming what is there.
func pickVPK(dir string) (string, error) {
	var vpks, files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		files = append(files, p)
		if len(files) > maxItemFiles {
			return fmt.Errorf("more than %d files", maxItemFiles)
		}
		if strings.EqualFold(filepath.Ext(p), ".vpk") {
			vpks = append(vpks, p)
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("read %s: %w", dir, err)
	}
	rel := func(ps []string) string {
		var names []string
		for _, p := range ps {
			r, _ := filepath.Rel(dir, p)
			names = append(names, r)
		}
		sort.Strings(names)
		return strings.Join(names, ", ")
	}
	switch {
	case len(vpks) == 1:
		return vpks[0], nil
	case len(vpks) > 1:
		return "", fmt.Errorf("steamcmd left several .vpk files (%s); left4me takes single-file addons", rel(vpks))
	case len(files) == 1:
		if a, err := vpk.Open(files[0]); err == nil {
			a.Close()
			return files[0], nil
		}
		return "", fmt.Errorf("%w: steamcmd left %s, which is not a VPK", ErrCorrupt, rel(files))
	case len(files) == 0:
		return "", fmt.Errorf("steamcmd left no file in %s", dir)
	default:
		return "", fmt.Errorf("steamcmd left no .vpk file, only %s", rel(files))
	}
}

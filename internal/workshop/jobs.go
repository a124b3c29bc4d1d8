package workshop

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/left4me/left4me/internal/jobs"
)

// Job kinds of this package.
const (
	// KindDownload adds items to a layer, downloads them and publishes the
	// layer (Add as a job). Args: DownloadArgs.
	KindDownload = "workshop_download"
	// KindRefresh is Refresh as a job (no args). It is enqueued unique: a
	// refresh asked for while one is queued or running is a no-op. The
	// panel also enqueues it daily (a jobs.Periodic the command's
	// configuration adds).
	KindRefresh = "workshop_refresh"
)

// jobTimeout bounds one attempt of either kind: a large collection over a
// slow link takes long, a stuck one is cut off.
const jobTimeout = 4 * time.Hour

// DownloadArgs are the arguments of a KindDownload job.
type DownloadArgs struct {
	Layer string   `json:"layer"`
	Refs  []string `json:"refs"` // ids or URLs, as given to Add
}

// RegisterJobs registers the handlers of KindDownload and KindRefresh.
//
// Failure handling: bad input (a bad id or layer, another game's item, an
// unavailable item, a taken layer id) and a malformed Web API reply fail
// the job at once; network trouble is retried by the job system (after the
// downloader's own quick retries). An item whose file is corrupt, or whose
// details Steam sent unusable (ErrRefusedItem: a file:// file_url, …),
// fails a download job without retry once the rest of the layer is
// published; a refresh only records it on the item (the next refresh tries
// again).
func RegisterJobs(m *jobs.Manager, svc *Service) error {
	if err := m.Register(KindDownload, svc.downloadJob, jobs.KindOptions{Timeout: jobTimeout}); err != nil {
		return err
	}
	return m.Register(KindRefresh, svc.refreshJob, jobs.KindOptions{Timeout: jobTimeout})
}

// EnqueueAdd checks layer and refs and queues a KindDownload job for them
// on behalf of userID (0: the system).
func EnqueueAdd(ctx context.Context, m *jobs.Manager, layer string, refs []string, userID int64) (int64, error) {
	if err := ValidateLayerID(layer); err != nil {
		return 0, err
	}
	ids, err := ParseIDs(refs)
	if err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, errors.New("no Workshop item given")
	}
	id, _, err := m.Enqueue(ctx, KindDownload, DownloadArgs{Layer: layer, Refs: refs}, jobs.EnqueueOpts{UserID: userID})
	return id, err
}

// EnqueueRefresh queues a refresh unless one is already queued or running,
// whose id is then returned with duplicate set.
func EnqueueRefresh(ctx context.Context, m *jobs.Manager, userID int64) (id int64, duplicate bool, err error) {
	return m.Enqueue(ctx, KindRefresh, nil, jobs.EnqueueOpts{UserID: userID, Unique: true})
}

// permanentErrors are errors that another attempt cannot fix: bad input,
// and a Web API reply that is not of the documented shape (Steam answers
// the same until it changes; the daily refresh asks again).
var permanentErrors = []error{ErrBadRef, ErrBadLayerID, ErrLayerTaken, ErrWrongApp, ErrUnavailable, ErrBadReply, ErrRefusedItem}

// permanent reports whether err is one of permanentErrors and not
// transient.
func permanent(err error) bool {
	if IsTransient(err) {
		return false
	}
	for _, p := range permanentErrors {
		if errors.Is(err, p) {
			return true
		}
	}
	return false
}

func (s *Service) downloadJob(ctx context.Context, run *jobs.Run) error {
	var args DownloadArgs
	if err := run.Args(&args); err != nil {
		return err
	}
	res, err := s.Add(ctx, args.Layer, args.Refs, run)
	if err != nil {
		if permanent(err) {
			return jobs.Permanent(err)
		}
		return err
	}
	run.Logf("layer %s: generation %s (%s)", res.Layer, res.Generation, map[bool]string{true: "published", false: "unchanged"}[res.Published])
	var transientErrs, otherErrs []error
	for _, r := range res.Downloads {
		switch {
		case r.Err == nil:
		case IsTransient(r.Err):
			transientErrs = append(transientErrs, r.Err)
		default:
			otherErrs = append(otherErrs, r.Err)
		}
	}
	if len(transientErrs) > 0 {
		// Add is idempotent: the next attempt downloads only what is missing.
		return jobs.Transient(fmt.Errorf("%d item(s) failed to download: %w", len(transientErrs), errors.Join(transientErrs...)))
	}
	if len(otherErrs) > 0 {
		return jobs.Permanent(fmt.Errorf("%d item(s) could not be used; the layer holds the others: %w", len(otherErrs), errors.Join(otherErrs...)))
	}
	return nil
}

func (s *Service) refreshJob(ctx context.Context, run *jobs.Run) error {
	res, err := s.Refresh(ctx, run)
	if err != nil {
		switch {
		case IsTransient(err):
			return jobs.Transient(err)
		case permanent(err):
			return jobs.Permanent(err)
		}
		return err
	}
	run.Logf("checked %d item(s), %d download(s), %d refused, %d layer(s) published", res.Checked, len(res.Downloads), len(res.Refused), len(res.Published))
	return nil
}

package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/ociexport"
)

// exportSources is the part of the instance service an export needs
// (*instance.Service has it).
type exportSources interface {
	ExportSource(ctx context.Context, name string) (instance.ExportSource, error)
}

// instanceExport answers an instance's OCI image as an OCI archive (a tar
// of the image layout, for `podman load`), the same image `left4me export
// NAME --oci-archive FILE` writes (docs/scale-out.md §2); ?with_upper=true
// adds the writable layer. The image carries the RCON password, so the
// route needs the permission to see it. The layout is built before the
// answer starts, so a refusal is an error answer, not a cut-off download.
func (s *Server) instanceExport(w http.ResponseWriter, r *http.Request) {
	inst, _, ok := s.instanceFor(w, r)
	if !ok {
		return
	}
	ex, ok := s.cfg.Instances.(exportSources)
	if !ok {
		s.fail(w, r, http.StatusNotFound, "Export is not available here.")
		return
	}
	withUpper := false
	if q := r.URL.Query().Get("with_upper"); q != "" {
		v, err := strconv.ParseBool(q)
		if err != nil {
			s.failErr(w, r, &instance.FieldError{Field: "with_upper", Err: errors.New("use true or false")})
			return
		}
		withUpper = v
	}
	src, err := ex.ExportSource(r.Context(), inst.Name)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	opt := ociexport.Options{Cache: ociexport.CacheFor(src.Root), Version: ociexport.Version(), WithUpper: withUpper}
	a, err := ociexport.NewArchive(r.Context(), src, opt.Cache.Dir+"/tmp", opt)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	defer a.Close()
	w.Header().Set("Content-Type", "application/x-tar")
	w.Header().Set("Content-Disposition", `attachment; filename="`+inst.Name+`.oci.tar"`)
	w.Header().Set("X-Left4me-Image-Manifest", a.Result.Manifest)
	w.WriteHeader(http.StatusOK)
	if err := a.Send(w); err != nil {
		s.log.Warn("export download cut off", "instance", inst.Name, "err", err)
	}
}

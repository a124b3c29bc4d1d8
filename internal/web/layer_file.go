package web

import (
	"errors"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/left4me/left4me/internal/content"
)

// filePage shows one text file of a layer.
type filePage struct {
	L    content.LayerInfo
	Gen  string
	Path string
	Text string
	Size int64
}

// layerFile serves one file of a layer generation (?gen=, ?path=): text
// files inline in a page (escaped by the template), anything else, or
// with ?download=1, as a download. The path is confined to the layer by
// content.OpenFile.
func (s *Server) layerFile(w http.ResponseWriter, r *http.Request) {
	li, ok := s.layerFor(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	gen, rel := q.Get("gen"), q.Get("path")
	if gen == "" {
		gen = li.Newest
	}
	if !slices.Contains(li.Generations, gen) {
		s.fail(w, r, http.StatusNotFound, "Layer "+li.ID+" has no generation "+gen+".")
		return
	}
	f, fi, err := content.OpenFile(s.cfg.Root.Overlay(li.ID, gen), rel)
	if err != nil {
		if errors.Is(err, content.ErrInvalid) || errors.Is(err, fs.ErrNotExist) {
			s.fail(w, r, http.StatusNotFound, "No file "+rel+" in layer "+li.ID+" generation "+gen+".")
			return
		}
		s.fail(w, r, http.StatusNotFound, "Cannot open "+rel+" in layer "+li.ID+".")
		s.log.Info("layer file refused", "layer", li.ID, "path", rel, "err", err)
		return
	}
	defer f.Close()
	if q.Get("download") != "1" && isText(rel, fi.Size()) {
		data, err := io.ReadAll(io.LimitReader(f, maxInline+1))
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		if utf8.Valid(data) {
			s.render(w, r, http.StatusOK, "layer_file", path.Base(rel), filePage{L: li, Gen: gen, Path: rel, Text: string(data), Size: fi.Size()})
			return
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			s.serverError(w, r, err)
			return
		}
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": path.Base(rel)}))
	w.Header().Set("Content-Length", strconv.FormatInt(fi.Size(), 10))
	w.Header().Set("Cache-Control", "no-store")
	io.Copy(w, f)
}

package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path"
	"strings"

	"github.com/left4me/left4me/internal/archive"
	"github.com/left4me/left4me/internal/content"
	"github.com/left4me/left4me/internal/store"
)

// layerForm is one of the create forms of the layers page, or the upload
// and script forms of a layer's page.
type layerForm struct {
	ID, Name, Description string
	Script                string
	Path                  string // upload target inside left4dead2/
	Single                bool   // upload a single file, not an archive
	Refs                  string // Workshop ids or URLs
	Errors                map[string]string
}

func (f *layerForm) fail(field, msg string) {
	if f.Errors == nil {
		f.Errors = map[string]string{}
	}
	if _, dup := f.Errors[field]; !dup {
		f.Errors[field] = msg
	}
}

// failErr puts the message of a request's error next to its field (def
// when the error names none). It returns false when err is the server's
// fault; then nothing is recorded.
func (f *layerForm) failErr(err error, def string) bool {
	a, ok := answerFor(err)
	if !ok {
		return false
	}
	f.fail(fieldOr(a.field, def), a.msg)
	return true
}

func fieldOr(field, def string) string {
	if field == "" {
		return def
	}
	return field
}

// layerFormFrom reads the fields every layer form may carry.
func layerFormFrom(r *http.Request) layerForm {
	return layerForm{
		ID:          strings.TrimSpace(r.PostFormValue("id")),
		Name:        strings.TrimSpace(r.PostFormValue("name")),
		Description: strings.TrimSpace(r.PostFormValue("description")),
		Script:      strings.ReplaceAll(r.PostFormValue("script"), "\r\n", "\n"),
		Path:        strings.TrimSpace(r.PostFormValue("path")),
		Single:      r.PostFormValue("single") == "1",
		Refs:        r.PostFormValue("refs"),
	}
}

// layerFor loads the layer named in the path. Every account may look at
// layers (they stack them); changing them is for administrators (the
// routes say so). On false the response has been written.
func (s *Server) layerFor(w http.ResponseWriter, r *http.Request) (content.LayerInfo, bool) {
	if !s.contentOn(w, r) {
		return content.LayerInfo{}, false
	}
	id := r.PathValue("id")
	li, err := s.cfg.Content.Layer(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		// A layer made on disk by hand has no record; Layers lists it.
		li, err = s.diskLayer(r.Context(), id)
	}
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, content.ErrInvalid) {
		s.fail(w, r, http.StatusNotFound, "No layer named "+id+".")
		return content.LayerInfo{}, false
	}
	if err != nil {
		s.serverError(w, r, err)
		return content.LayerInfo{}, false
	}
	return li, true
}

// layerExists reports whether a layer record with id exists.
func (s *Server) layerExists(ctx context.Context, id string) (bool, error) {
	_, err := s.cfg.Content.Layer(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// uploadPath is where an upload lands: the form's path inside left4dead2/
// (default left4dead2), plus the file's own name for a single file sent
// to a directory.
func uploadPath(dir, filename string, single bool) string {
	dir = strings.TrimSpace(dir)
	if dir == "" {
		dir = archive.GameDir + "/"
	}
	if single && strings.HasSuffix(dir, "/") || single && dir == archive.GameDir {
		base := path.Base(strings.ReplaceAll(filename, `\`, "/"))
		return strings.TrimSuffix(dir, "/") + "/" + base
	}
	return strings.TrimSuffix(dir, "/")
}

// upload publishes the request's file into layer id (a new upload layer
// when it does not exist yet). A refused upload creates nothing.
func (s *Server) upload(r *http.Request, f *layerForm) (gen string, err error) {
	file, fh, err := r.FormFile("file")
	if err != nil {
		f.fail("file", "Choose a file to upload.")
		return "", nil
	}
	defer file.Close()
	format := archive.FormatAuto
	if f.Single {
		format = archive.FormatFile
	}
	ctx := r.Context()
	res, err := s.cfg.Content.Upload(ctx, content.UploadSpec{
		LayerID: f.ID, Name: f.Name, Description: f.Description,
		Path: uploadPath(f.Path, fh.Filename, f.Single), Format: format,
		R: file, Size: fh.Size, UserID: who(r).User.ID,
	}, content.NopProgress{})
	if err != nil {
		// content.Upload records a new layer only once its first generation
		// is published, so a refused upload has nothing to undo here.
		if userFault(err) {
			f.fail("file", "Upload refused: "+err.Error())
			return "", nil
		}
		return "", err
	}
	return res.Generation, nil
}

// diskLayer finds a layer that exists only on disk (kind "").
func (s *Server) diskLayer(ctx context.Context, id string) (content.LayerInfo, error) {
	all, err := s.cfg.Content.Layers(ctx)
	if err != nil {
		return content.LayerInfo{}, err
	}
	for _, l := range all {
		if l.ID == id {
			return l, nil
		}
	}
	return content.LayerInfo{}, fmt.Errorf("layer %s: %w", id, store.ErrNotFound)
}

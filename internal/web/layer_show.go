package web

import (
	"errors"
	"net/http"
	"path"
	"slices"
	"strings"

	"github.com/left4me/left4me/internal/content"
	"github.com/left4me/left4me/internal/store"
	"github.com/left4me/left4me/internal/workshop"
)

// maxTreeEntries bounds the file browser's listing of one generation.
const maxTreeEntries = 5000

// fileRow is one entry of the file browser.
type fileRow struct {
	content.FileInfo
	Name  string
	Depth int
	Text  bool // shown inline rather than downloaded
}

// itemView is one Workshop item of a workshop layer.
type itemView struct {
	store.WorkshopItem
	Pending bool // Steam has a newer revision than the one downloaded
}

// layerPage is one layer: its generations and file browser, its script
// (script layers), upload form (upload layers) or items (workshop layers).
type layerPage struct {
	L         content.LayerInfo
	IsAdmin   bool
	Gen       string // the generation browsed
	Files     []fileRow
	Truncated bool
	Items     []itemView
	Workshop  bool // the Workshop forms work
	Jobs      []jobView
	Form      layerForm
}

// NewestFirst lists the generations newest first.
func (p layerPage) NewestFirst() []string {
	g := slices.Clone(p.L.Generations)
	slices.Reverse(g)
	return g
}

// textExts are the file types the browser shows inline.
var textExts = map[string]bool{".cfg": true, ".txt": true, ".ini": true, ".json": true, ".md": true, ".res": true,
	".vdf": true, ".sh": true, ".lua": true, ".nut": true, ".sp": true, ".inc": true, ".log": true, ".csv": true,
	".kv": true, ".phrases": true, ".yml": true, ".yaml": true, ".xml": true, ".lst": true}

// maxInline is the largest text file shown in the page.
const maxInline = 512 << 10

func isText(p string, size int64) bool {
	return textExts[strings.ToLower(path.Ext(p))] && size <= maxInline
}

// layerShow shows a layer. ?gen= picks the generation the file browser
// lists (the newest by default).
func (s *Server) layerShow(w http.ResponseWriter, r *http.Request) {
	li, ok := s.layerFor(w, r)
	if !ok {
		return
	}
	s.showLayer(w, r, http.StatusOK, li, layerForm{Script: li.Script, Path: "left4dead2/"})
}

func (s *Server) showLayer(w http.ResponseWriter, r *http.Request, status int, li content.LayerInfo, form layerForm) {
	ctx := r.Context()
	visible, err := s.visibleNames(ctx, who(r))
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	li.UsedBy = onlyVisible(li.UsedBy, visible)
	pg := layerPage{L: li, IsAdmin: who(r).User.IsAdmin, Gen: li.Newest, Form: form,
		Workshop: s.cfg.Workshop != nil && s.cfg.Jobs != nil}
	if g := r.URL.Query().Get("gen"); g != "" {
		if !slices.Contains(li.Generations, g) {
			s.fail(w, r, http.StatusNotFound, "Layer "+li.ID+" has no generation "+g+".")
			return
		}
		pg.Gen = g
	}
	if pg.Gen != "" {
		tree, err := content.Tree(s.cfg.Root.Overlay(li.ID, pg.Gen), maxTreeEntries)
		if errors.Is(err, content.ErrTruncated) {
			pg.Truncated, err = true, nil
		}
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		for _, fi := range tree {
			pg.Files = append(pg.Files, fileRow{FileInfo: fi, Name: path.Base(fi.Path), Depth: strings.Count(fi.Path, "/"),
				Text: fi.Mode.IsRegular() && isText(fi.Path, fi.Size)})
		}
	}
	if li.Kind == store.LayerWorkshop && s.cfg.Workshop != nil {
		wl, err := s.cfg.Workshop.Layer(ctx, li.ID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			s.serverError(w, r, err)
			return
		}
		for _, it := range wl.ItemRecords {
			pg.Items = append(pg.Items, itemView{WorkshopItem: it, Pending: workshop.UpdatePending(it)})
		}
	}
	s.render(w, r, status, "layer", "Layer "+li.ID, pg)
}

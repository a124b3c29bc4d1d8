package workshop

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/left4me/left4me/internal/content"
	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/vpk"
	"github.com/left4me/left4me/internal/workshop/workshoptest"
)

// BenchmarkDecodeDetails decodes a full batch (100 items) of real-shaped
// details.
func BenchmarkDecodeDetails(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"response":{"result":1,"resultcount":100,"publishedfiledetails":[`)
	for i := range MaxBatch {
		if i > 0 {
			sb.WriteString(",")
		}
		fmt.Fprintf(&sb, `{"publishedfileid":"%d","result":1,"creator":"76561197960287930","creator_app_id":550,"consumer_app_id":550,"filename":"myl4d2addons/map%d.vpk","file_size":"123456789","file_url":"http://cloud-3.steamusercontent.com/ugc/%d/X/","preview_url":"https://steamuserimages-a.akamaihd.net/ugc/%d/","title":"Map %d","description":"%s","time_created":1358294400,"time_updated":1409356800,"banned":0,"ban_reason":"","tags":[{"tag":"Campaigns"}]}`,
			1000+i, i, i, i, i, strings.Repeat("words ", 300))
	}
	sb.WriteString(`]}}`)
	body := []byte(sb.String())
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := DecodeDetails(bytes.NewReader(body)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDownload measures fetching, verifying and publishing a 32 MiB
// item from a local server (each iteration is a new revision).
func BenchmarkDownload(b *testing.B) {
	fake := workshoptest.New(b)
	files := map[string][]byte{"addoninfo.txt": []byte(`"AddonInfo" { addontitle "Bench" }`)}
	for i := range 8 {
		files[fmt.Sprintf("maps/bench_m%d.bsp", i)] = bytes.Repeat([]byte{byte(i), 1, 2, 3}, 1<<20)
	}
	var buf bytes.Buffer
	if err := vpk.Write(&buf, files); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	root, _ := layout.New(filepath.Join(b.TempDir(), "state"))
	root.Create(0o755)
	b.Cleanup(func() { content.RemoveTree(root.String()) }) // read-only revisions
	dl := NewDownloader(DownloaderConfig{Root: root, HTTPClient: fake.Client()})
	ctx := context.Background()
	b.SetBytes(int64(len(data)))
	rev := int64(0)
	for b.Loop() {
		rev++
		fake.SetItem(workshoptest.Item{ID: 1, TimeUpdated: rev, Data: data})
		d, err := NewClient(fake.URL(), fake.Client()).Details(ctx, []uint64{1})
		if err != nil {
			b.Fatal(err)
		}
		if r := dl.Download(ctx, d[0], nil); r.Err != nil {
			b.Fatal(r.Err)
		}
	}
}

package main

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/left4me/left4me/internal/vpk"
)

// stateDir is where the stand-in keeps state between runs.
func stateDir(getenv func(string) string) string {
	if d := getenv("FAKESTEAMCMD_STATE_DIR"); d != "" {
		return d
	}
	exe, err := os.Executable()
	if err != nil {
		return os.TempDir()
	}
	return filepath.Dir(exe)
}

// failWindowsPass counts Windows passes in the state directory and reports
// whether this one is among the first FAKESTEAMCMD_WINDOWS_FAILS.
func failWindowsPass(getenv func(string) string) bool {
	n, _ := strconv.Atoi(getenv("FAKESTEAMCMD_WINDOWS_FAILS"))
	if n <= 0 {
		return false
	}
	counter := filepath.Join(stateDir(getenv), "fakesteamcmd-windows-passes")
	data, _ := os.ReadFile(counter)
	done, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	if done >= n {
		return false
	}
	os.MkdirAll(filepath.Dir(counter), 0o755)
	os.WriteFile(counter, []byte(strconv.Itoa(done+1)+"\n"), 0o644)
	return true
}

// downloadItem stands in for workshop_download_item APP ID.
func downloadItem(out io.Writer, dir, app, idStr string, getenv func(string) string) {
	fmt.Fprintf(out, "Downloading item %s ...\n", idStr)
	id, err := strconv.ParseUint(idStr, 10, 64)
	if err != nil || app != "550" {
		fmt.Fprintf(out, "ERROR! Download item %s failed (Failure).\n", idStr)
		return
	}
	if fails := getenv("FAKESTEAMCMD_WORKSHOP_FAIL"); fails != "" {
		list := strings.Split(fails, ",")
		if slices.Contains(list, "all") || slices.Contains(list, idStr) {
			reason := getenv("FAKESTEAMCMD_WORKSHOP_REASON")
			if reason == "" {
				reason = "Failure"
			}
			fmt.Fprintf(out, "ERROR! Download item %s failed (%s).\n", idStr, reason)
			return
		}
	}
	if dir == "" {
		dir = stateDir(getenv)
	}
	itemDir := filepath.Join(dir, "steamapps", "workshop", "content", app, idStr)
	data, err := itemData(id, getenv)
	if err == nil && getenv("FAKESTEAMCMD_WORKSHOP_CORRUPT") == "1" && len(data) > 0 {
		data[len(data)-1] ^= 0xFF
	}
	if err == nil {
		err = os.MkdirAll(itemDir, 0o755)
	}
	name := getenv("FAKESTEAMCMD_WORKSHOP_FILE")
	if name == "" {
		name = "%d_addon.vpk"
	}
	if err == nil {
		err = os.WriteFile(filepath.Join(itemDir, fmt.Sprintf(name, id)), data, 0o644)
	}
	if err != nil {
		fmt.Fprintf(out, "ERROR! Download item %s failed (Disk write failure).\n", idStr)
		return
	}
	var total int64
	filepath.WalkDir(itemDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				total += fi.Size()
			}
		}
		return nil
	})
	abs, _ := filepath.Abs(itemDir)
	fmt.Fprintf(out, "Success. Downloaded item %s to \"%s\" (%d bytes)\n", idStr, abs, total)
}

// itemData is the item's file: SOURCE/ID.vpk, or a generated addon.
func itemData(id uint64, getenv func(string) string) ([]byte, error) {
	if src := getenv("FAKESTEAMCMD_WORKSHOP_SOURCE"); src != "" {
		data, err := os.ReadFile(filepath.Join(src, strconv.FormatUint(id, 10)+".vpk"))
		if err == nil {
			return data, nil
		}
	}
	title := fmt.Sprintf("Workshop item %d", id)
	files := map[string][]byte{
		"addoninfo.txt":                   fmt.Appendf(nil, "\"AddonInfo\"\n{\n\taddontitle \"%s\"\n\taddonversion \"1.0\"\n\taddonauthor \"fakesteamcmd\"\n}\n", title),
		fmt.Sprintf("maps/ws_%d.bsp", id): bytes.Repeat([]byte("VBSP"), 256),
	}
	var b bytes.Buffer
	if err := vpk.Write(&b, files); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

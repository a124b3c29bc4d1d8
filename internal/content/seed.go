package content

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/left4me/left4me/internal/store"
)

// Example is a script layer read from an example file. The file's leading
// comment block carries its metadata:
//
//	#!/bin/bash
//	# id: tickrate
//	# name: Tickrate 100
//	# description: the tickrate enabler addon and matching rate cvars
//	# incremental: no
//
// id defaults to the file name without ".sh".
type Example struct {
	File        string
	ID          string
	Name        string
	Description string
	Incremental bool
	Script      string
}

// ParseExample reads the metadata of an example script.
func ParseExample(file string, script string) (Example, error) {
	ex := Example{File: file, ID: strings.TrimSuffix(filepath.Base(file), ".sh"), Script: script}
	sc := bufio.NewScanner(strings.NewReader(script))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#!") {
			continue
		}
		if !strings.HasPrefix(line, "#") {
			break
		}
		k, v, ok := strings.Cut(strings.TrimSpace(strings.TrimPrefix(line, "#")), ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "id":
			ex.ID = v
		case "name":
			ex.Name = v
		case "description":
			if ex.Description != "" {
				ex.Description += " "
			}
			ex.Description += v
		case "incremental":
			ex.Incremental = v == "yes" || v == "true" || v == "1"
		}
	}
	if err := ValidateLayerID(ex.ID); err != nil {
		return ex, fmt.Errorf("example %s: %w", file, err)
	}
	if err := validateScript(script); err != nil {
		return ex, fmt.Errorf("example %s: %w", file, err)
	}
	if ex.Name == "" {
		ex.Name = ex.ID
	}
	return ex, nil
}

// SeedResult says what Seed did with one example.
type SeedResult struct {
	ID   string
	File string
	// Created is false when a layer with that id already existed; it is
	// left as it is (an operator may have edited its script).
	Created bool
}

// Seed imports every *.sh in dir as a script layer, idempotently: existing
// layers are left untouched. Every file is checked before anything is
// created.
func (s *Service) Seed(ctx context.Context, dir string) ([]SeedResult, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.sh"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%w: no *.sh examples in %s", ErrInvalid, dir)
	}
	sort.Strings(files)
	var exs []Example
	ids := map[string]string{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("seed: %w", err)
		}
		ex, err := ParseExample(f, string(data))
		if err != nil {
			return nil, err
		}
		if other, dup := ids[ex.ID]; dup {
			return nil, fmt.Errorf("%w: examples %s and %s both have id %q", ErrInvalid, other, f, ex.ID)
		}
		ids[ex.ID] = f
		exs = append(exs, ex)
	}
	var out []SeedResult
	for _, ex := range exs {
		r := SeedResult{ID: ex.ID, File: ex.File}
		_, err := s.st.LayerByID(ctx, ex.ID)
		switch {
		case err == nil:
		case errors.Is(err, store.ErrNotFound):
			_, err = s.CreateScript(ctx, store.Layer{
				ID: ex.ID, Name: ex.Name, Description: ex.Description,
				Script: ex.Script, Incremental: ex.Incremental, Source: filepath.Base(ex.File),
			})
			if errors.Is(err, store.ErrConflict) {
				break // created meanwhile by someone else
			}
			if err != nil {
				return out, fmt.Errorf("seed %s: %w", ex.ID, err)
			}
			r.Created = true
		default:
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

package metrics

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// dashboard is the example Grafana dashboard in deploy/.
var dashboard = filepath.Join("..", "..", "deploy", "grafana", "left4me-dashboard.json")

// metricName is a left4me series name in a PromQL expression.
var metricName = regexp.MustCompile(`\bleft4me_[a-z0-9_]+`)

// exprs collects every PromQL expression of the dashboard: the targets'
// expr and the variables' queries.
func exprs(v any, out *[]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if s, ok := e.(string); ok && (k == "expr" || k == "definition") {
				*out = append(*out, s)
				continue
			}
			exprs(e, out)
		}
	case []any:
		for _, e := range x {
			exprs(e, out)
		}
	}
}

// TestDashboardQueriesExistingMetrics: the example dashboard is valid JSON,
// and every left4me metric its queries name is one /metrics carries (a
// histogram's _bucket, _sum and _count included).
func TestDashboardQueriesExistingMetrics(t *testing.T) {
	b, err := os.ReadFile(dashboard)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s is not valid JSON: %v", dashboard, err)
	}
	if _, ok := doc["panels"].([]any); !ok || doc["title"] == "" {
		t.Fatalf("%s has no panels or title", dashboard)
	}
	m := New(testConfig())
	m.ObserveRequest("GET /health", 200, 0)
	fams := scrape(t, m.Handler(), "")
	have := map[string]bool{}
	for name, f := range fams {
		have[name] = true
		if f.GetType().String() == "HISTOGRAM" {
			for _, suf := range []string{"_bucket", "_sum", "_count"} {
				have[name+suf] = true
			}
		}
	}
	var all []string
	exprs(doc, &all)
	if len(all) < 10 {
		t.Fatalf("the dashboard has %d queries; want its panels' (at least 10)", len(all))
	}
	used := map[string]bool{}
	for _, e := range all {
		names := metricName.FindAllString(e, -1)
		if len(names) == 0 {
			t.Errorf("query %q names no left4me metric", e)
		}
		for _, n := range names {
			used[n] = true
			if !have[n] {
				t.Errorf("query %q names %s, which /metrics does not carry", e, n)
			}
		}
	}
	for name := range have {
		if strings.HasPrefix(name, "left4me_") && !strings.HasSuffix(name, "_bucket") && !strings.HasSuffix(name, "_sum") &&
			!strings.HasSuffix(name, "_count") && name != "left4me_scrape_errors" && name != "left4me_http_request_duration_seconds" && !used[name] {
			t.Errorf("the dashboard shows no panel of %s", name)
		}
	}
}
